// Package client restates the shape of docker/cli v29's vendored moby client type that
// `docker image inspect` runs its template on.
package client

import "goldens/image"

type ImageInspectResult struct {
	image.InspectResponse
}
