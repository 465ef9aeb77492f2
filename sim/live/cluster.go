package live

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A ClusterSpec says what StartCluster builds: Masters masters with Replicas replicas each,
// on Ports (Masters×(1+Replicas) free port pairs, see FreePorts), their files under Dir,
// every server given Args. With Sources, each server opens its cluster bus and
// replication connections from a loopback address of its own, so that a Firewall can cut
// it off (see Server.Source).
type ClusterSpec struct {
	Dir      string
	Ports    []int
	Masters  int
	Replicas int
	Args     []string
	Sources  bool
}

// A Cluster is real redis-server processes that redis-cli --cluster create made one Redis
// Cluster of, masters first in Servers as create was given them.
type Cluster struct {
	Servers []*Server
	Masters int
}

// StartCluster starts the servers, creates the cluster with redis-cli and waits, up to a
// minute, until every replica has finished its first synchronisation. On error, nothing it
// started is left running.
func StartCluster(spec ClusterSpec) (c *Cluster, err error) {
	n := spec.Masters * (1 + spec.Replicas)
	switch {
	case spec.Masters < 3:
		return nil, fmt.Errorf("live: %d masters: redis-cli creates clusters of at least 3", spec.Masters)
	case spec.Replicas < 0:
		return nil, fmt.Errorf("live: %d replicas per master: want 0 or more", spec.Replicas)
	case len(spec.Ports) < n:
		return nil, fmt.Errorf("live: %d ports for %d servers", len(spec.Ports), n)
	}
	c = &Cluster{Masters: spec.Masters}
	defer func() {
		if err != nil {
			c.Close()
			c = nil
		}
	}()
	for _, p := range spec.Ports[:n] {
		s := &Server{Port: p, Dir: filepath.Join(spec.Dir, fmt.Sprint(p)), Args: spec.Args}
		if spec.Sources {
			s.Source = fmt.Sprintf("127.1.%d.%d", p>>8, p&0xff)
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			return c, err
		}
		if err := s.Start(); err != nil {
			return c, err
		}
		c.Servers = append(c.Servers, s)
	}
	args := []string{"--cluster", "create"}
	for _, s := range c.Servers {
		args = append(args, s.Addr())
	}
	if out, err := CLI(append(args, "--cluster-replicas", fmt.Sprint(spec.Replicas), "--cluster-yes")...); err != nil {
		return c, fmt.Errorf("live: create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		synced := 0
		for _, s := range c.Servers[spec.Masters:] {
			info, err := String(s.Do("INFO", "replication"))
			if err == nil && strings.Contains(info, "master_link_status:up") {
				synced++
			}
		}
		if synced == n-spec.Masters {
			return c, nil
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("live: %d of %d replicas synchronised within a minute", synced, n-spec.Masters)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitReplicasListed waits, up to limit, until CLUSTER SLOTS on every server lists every
// master's replicas. Redis lists a replica there only once the node asked has seen it
// with a replication offset other than 0 (isReplicaAvailable), which after the first
// sync of an empty master takes until the master's first replication PING
// (repl-ping-replica-period, 10 s) has reached it and been gossiped. A client that loads
// its slot map before then, as go-redis does once, knows no replica to read from.
func (c *Cluster) WaitReplicasListed(replicas int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		listed := true
		for _, s := range c.Servers {
			r, err := s.Do("CLUSTER", "SLOTS")
			ranges, ok := r.([]any)
			if err != nil || !ok || len(ranges) == 0 {
				listed = false
				break
			}
			for _, rng := range ranges {
				if e, ok := rng.([]any); !ok || len(e) < 3+replicas {
					listed = false
				}
			}
		}
		if listed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("live: CLUSTER SLOTS did not list every replica within %v", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ReplicasOf returns the servers that INFO replication says replicate master.
func (c *Cluster) ReplicasOf(master *Server) []*Server {
	var out []*Server
	for _, s := range c.Servers {
		info, err := String(s.Do("INFO", "replication"))
		if err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, fmt.Sprintf("master_port:%d\r\n", master.Port)) {
			out = append(out, s)
		}
	}
	return out
}

// Addrs returns every server's address, in order.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Servers {
		out = append(out, s.Addr())
	}
	return out
}

// Close kills every server that still runs.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.Servers {
		errs = append(errs, s.Kill())
	}
	return errors.Join(errs...)
}
