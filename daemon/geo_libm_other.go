//go:build !cgo

package daemon

import "math"

// Without cgo, Go's sin, cos and asin: distances then differ from
// Redis's in the last bit now and then (see geo.go), which a reply
// rounded to 4 decimals almost never shows.

// geoLibmExact says the distances are Redis's to the last bit.
const geoLibmExact = false

func geoSin(x float64) float64  { return math.Sin(x) }
func geoCos(x float64) float64  { return math.Cos(x) }
func geoAsin(x float64) float64 { return math.Asin(x) }
