// Package v1 restates the shapes of github.com/moby/docker-image-spec/specs-go/v1.
package v1

import (
	"time"

	ocispec "goldens/ocispec/v1"
)

type DockerOCIImageConfig struct {
	ocispec.ImageConfig
	DockerOCIImageConfigExt
}

type DockerOCIImageConfigExt struct {
	Healthcheck *HealthcheckConfig `json:",omitempty"`
	OnBuild     []string           `json:",omitempty"`
	Shell       []string           `json:",omitempty"`
}

type HealthcheckConfig struct {
	Test          []string      `json:",omitempty"`
	Interval      time.Duration `json:",omitempty"`
	Timeout       time.Duration `json:",omitempty"`
	StartPeriod   time.Duration `json:",omitempty"`
	StartInterval time.Duration `json:",omitempty"`
	Retries       int           `json:",omitempty"`
}
