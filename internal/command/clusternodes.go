package command

import (
	"flag"
	"fmt"
	"strings"

	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/slot"
)

// ClusterFlags registers -nodes FILE and -addr HOST:PORT on fs, the flags by which a
// command starts from a user's cluster rather than the tutorial's, what being said by
// what, and returns the function that reads that cluster once fs is parsed: the CLUSTER
// NODES reply in the file, or the one the node at the address gives now, and the name of
// its source for messages. With neither flag, it returns no nodes; with both, a usage
// error.
func ClusterFlags(fs *flag.FlagSet, what string) func() ([]slot.NodeLine, string, error) {
	file := fs.String("nodes", "", what+" the cluster in this `FILE` of CLUSTER NODES output (redis-cli cluster nodes > FILE)")
	addr := fs.String("addr", "", what+" the cluster of the node at `HOST:PORT`, read with CLUSTER NODES")
	return func() ([]slot.NodeLine, string, error) {
		switch {
		case *file != "" && *addr != "":
			return nil, "", Usagef(fs, "-nodes and -addr exclude each other")
		case *file != "":
			nodes, err := slot.ReadNodesFile(*file)
			return nodes, *file, err
		case *addr != "":
			reply, err := live.ClusterNodes(*addr)
			if err != nil {
				return nil, "", fmt.Errorf("-addr %s: %w", *addr, err)
			}
			nodes, err := slot.ReadNodes(strings.NewReader(reply), *addr)
			return nodes, *addr, err
		}
		return nil, "", nil
	}
}
