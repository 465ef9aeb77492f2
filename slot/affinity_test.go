package slot

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// antiAffinityByDefinition is clusterManagerGetAntiAffinityScore written as plainly as
// redis-cli's C reads, with a map per host: the reference the reusable scorer is held to.
func antiAffinityByDefinition(hosts, ipOrder []string, same, replicaOf []int) (score int, offenders []int) {
	for _, h := range ipOrder {
		type group struct {
			size      int
			hasMaster bool
			firstRepl int
		}
		var order []int
		groups := map[int]*group{}
		for i, host := range hosts {
			if host != h {
				continue
			}
			key := same[i]
			if replicaOf[i] >= 0 {
				key = same[replicaOf[i]]
			}
			g := groups[key]
			if g == nil {
				g = &group{firstRepl: -1}
				groups[key] = g
				order = append(order, key)
			}
			g.size++
			if replicaOf[i] < 0 {
				g.hasMaster = true
			} else if g.firstRepl < 0 {
				g.firstRepl = i
			}
		}
		for _, key := range order {
			g := groups[key]
			if g.size < 2 {
				continue
			}
			if g.hasMaster {
				score += 10000 * (g.size - 1)
			} else {
				score += g.size
			}
			if g.firstRepl >= 0 {
				offenders = append(offenders, g.firstRepl)
			}
		}
	}
	return score, offenders
}

// TestAffinityScoreMatchesDefinition scores random layouts, several times each with the
// same scorer (its memory is reused), against the plain definition.
func TestAffinityScoreMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "nodes")
		nHosts := rapid.IntRange(1, 5).Draw(t, "hosts")
		hosts := make([]string, n)
		var ipOrder []string
		seen := map[string]bool{}
		for i := range hosts {
			hosts[i] = fmt.Sprintf("10.0.0.%d", rapid.IntRange(0, nHosts-1).Draw(t, "host"))
			if !seen[hosts[i]] {
				seen[hosts[i]] = true
				ipOrder = append(ipOrder, hosts[i])
			}
		}
		// same[i]: an entry may repeat an earlier one (an address given twice).
		same := make([]int, n)
		for i := range same {
			same[i] = i
			if i > 0 && rapid.IntRange(0, 9).Draw(t, "repeat") == 0 {
				same[i] = same[rapid.IntRange(0, i-1).Draw(t, "of")]
			}
		}
		masters := rapid.IntRange(1, n).Draw(t, "masters")
		a := newAffinity(hosts, ipOrder, same)
		for range 3 {
			replicaOf := make([]int, n)
			for i := range replicaOf {
				replicaOf[i] = -1
				if i >= masters && rapid.Bool().Draw(t, "replica") {
					replicaOf[i] = rapid.IntRange(0, masters-1).Draw(t, "master")
				}
			}
			wantScore, wantOff := antiAffinityByDefinition(hosts, ipOrder, same, replicaOf)
			score, off := a.score(replicaOf)
			require.Equal(t, wantScore, score)
			require.Equal(t, len(wantOff), len(off))
			for i := range off {
				require.Equal(t, wantOff[i], off[i])
			}
		}
	})
}

// BenchmarkOptimizeAntiAffinity is redis-cli's optimisation for 30 masters and 30
// replicas on one host, where the score never reaches 0 and every iteration runs.
func BenchmarkOptimizeAntiAffinity(b *testing.B) {
	const n = 60
	hosts, same, replicaOf := make([]string, n), make([]int, n), make([]int, n)
	for i := range n {
		hosts[i], same[i], replicaOf[i] = "127.0.0.1", i, -1
		if i >= n/2 {
			replicaOf[i] = i - n/2
		}
	}
	for b.Loop() {
		r := append([]int(nil), replicaOf...)
		optimizeAntiAffinity(hosts, []string{"127.0.0.1"}, same, r, fixedRand{})
	}
}

type fixedRand struct{}

func (fixedRand) IntN(n int) int { return n / 2 }
