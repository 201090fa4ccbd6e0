//go:build !linux

package pebble

import (
	"errors"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// allocate is fallocate on Linux; elsewhere the ballast is written.
func allocate(vfs.File, int64) error { return errors.ErrUnsupported }
