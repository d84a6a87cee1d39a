package emulator

import (
	"fmt"
	"strings"
)

// ProgressShape is how a running action's progress rises over its duration. The real API
// reports progress in whole percent, and nothing promises that it rises evenly; the shapes let
// a client's use of progress be tested on more than the friendliest case.
type ProgressShape string

// The progress shapes. Every shape ends at 100 when the action finishes and shows at most 99
// before that.
const (
	// ProgressLinear rises evenly with the time elapsed (the default).
	ProgressLinear ProgressShape = "linear"
	// ProgressStalled stays at 0 for the whole duration and jumps to 100 at the end: no signal.
	ProgressStalled ProgressShape = "stalled"
	// ProgressSteps rises in four steps of 25, at each quarter of the duration.
	ProgressSteps ProgressShape = "steps"
	// ProgressSlowStart rises with the square of the time elapsed: a quarter done at half time.
	ProgressSlowStart ProgressShape = "slow-start"
)

// ProgressShapes lists the shapes, in the order documentation shows them.
var ProgressShapes = []ProgressShape{ProgressLinear, ProgressStalled, ProgressSteps, ProgressSlowStart}

// ParseProgressShape accepts a shape's name; the empty string is linear.
func ParseProgressShape(s string) (ProgressShape, error) {
	if s == "" {
		return ProgressLinear, nil
	}
	for _, shape := range ProgressShapes {
		if string(shape) == s {
			return shape, nil
		}
	}
	names := make([]string, len(ProgressShapes))
	for i, shape := range ProgressShapes {
		names[i] = string(shape)
	}
	return "", fmt.Errorf("unknown progress shape %q (one of %s)", s, strings.Join(names, ", "))
}

// at is the progress of a running action that has done the fraction done (0 ≤ done < 1) of
// its duration, in whole percent from 0 to 99.
func (s ProgressShape) at(done float64) int {
	var p float64
	switch s {
	case ProgressStalled:
		p = 0
	case ProgressSteps:
		p = 25 * float64(int(4*done))
	case ProgressSlowStart:
		p = 100 * done * done
	default:
		p = 100 * done
	}
	return min(max(int(p), 0), 99)
}
