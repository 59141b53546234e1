// Package image restates the shapes of moby api/types/image (as vendored by docker/cli v29.0.0).
package image

import (
	"time"

	dockerspec "goldens/dockerspec/v1"
	ocispec "goldens/ocispec/v1"
	"goldens/storage"
)

type RootFS struct {
	Type   string   `json:",omitempty"`
	Layers []string `json:",omitempty"`
}

type Metadata struct {
	LastTagTime time.Time `json:",omitempty"`
}

type ManifestSummary struct {
	ID string
}

type InspectResponse struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Comment      string `json:",omitempty"`
	Created      string `json:",omitempty"`
	Author       string `json:",omitempty"`
	Config       *dockerspec.DockerOCIImageConfig
	Architecture string
	Variant      string `json:",omitempty"`
	Os           string
	OsVersion    string `json:",omitempty"`
	Size         int64
	GraphDriver  *storage.DriverData `json:"GraphDriver,omitempty"`
	RootFS       RootFS
	Metadata     Metadata
	Descriptor   *ocispec.Descriptor `json:"Descriptor,omitempty"`
	Manifests    []ManifestSummary   `json:"Manifests,omitempty"`
}
