//go:build cgo

package daemon

/*
#cgo LDFLAGS: -lm
#include <math.h>
*/
import "C"

// The C library's sin, cos and asin, which redis-server's geo distances
// use: with them a distance matches Redis's to the last bit (see geo.go).
// A cgo call each: up to five per distance, two distances per point a
// box search considers.

// geoLibmExact says the distances are Redis's to the last bit.
const geoLibmExact = true

func geoSin(x float64) float64  { return float64(C.sin(C.double(x))) }
func geoCos(x float64) float64  { return float64(C.cos(C.double(x))) }
func geoAsin(x float64) float64 { return float64(C.asin(C.double(x))) }
