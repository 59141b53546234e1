// Package storage restates the shape of moby api/types/storage.DriverData.
package storage

type DriverData struct {
	Data map[string]string
	Name string
}
