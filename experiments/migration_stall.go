package experiments

import (
	"slices"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
)

// SimulatedMigrate is how long a MIGRATE of one value holds its source's event loop in
// simulation, measured as calibration/record-migrate-cost measures it on real servers
// (cluster.SimulateMigrate: "string" of size bytes, or "hash" of size fields): the median
// over seeds 1-3, on a host slowdown times slower than the calibration's.
func SimulatedMigrate(typ string, size int, slowdown float64) (time.Duration, error) {
	var took []time.Duration
	for seed := uint64(1); seed <= 3; seed++ {
		d, err := cluster.SimulateMigrate(typ, size, seed, slowdown)
		if err != nil {
			return 0, err
		}
		took = append(took, d)
	}
	slices.Sort(took)
	return took[1], nil
}
