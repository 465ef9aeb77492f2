package client

import (
	"flag"
	"fmt"
	"time"
)

// Options are the options of go-redis's ClusterClient that decide what an
// application sees while a cluster fails over or reshards, as a user would set them. A
// zero field means go-redis's own default, which ClusterOptions.init gives it (quoted for
// v9.23.0, the version go.mod pins): MaxRedirects 3 (-1: none), MaxRetries none at the
// node level (-1 too), backoff 10 ms to 1 s between retries, DialTimeout 5 s, ReadTimeout
// 5 s (-1: none), WriteTimeout the ReadTimeout, PoolSize 5 per CPU, and reads from the
// master unless ReadOnly, RouteByLatency or RouteRandomly (which imply ReadOnly) send them
// to replicas too, and the slot map reloaded when it is 60 s old. Real gives them to the
// real go-redis; GoRedis, the simulated client, follows them as go-redis does.
type Options struct {
	MaxRedirects    int           `json:"max_redirects,omitempty"`
	MaxRetries      int           `json:"max_retries,omitempty"`
	MinRetryBackoff time.Duration `json:"min_retry_backoff,omitempty"`
	MaxRetryBackoff time.Duration `json:"max_retry_backoff,omitempty"`
	DialTimeout     time.Duration `json:"dial_timeout,omitempty"`
	ReadTimeout     time.Duration `json:"read_timeout,omitempty"`
	WriteTimeout    time.Duration `json:"write_timeout,omitempty"`
	PoolSize        int           `json:"pool_size,omitempty"`
	ReadOnly        bool          `json:"read_only,omitempty"`
	RouteByLatency  bool          `json:"route_by_latency,omitempty"`
	RouteRandomly   bool          `json:"route_randomly,omitempty"`
	// ClusterStateReloadInterval is how old the slot map may grow before a command
	// reloads it in the background (go-redis's default 60 s). go-redis reloads it
	// otherwise only on MOVED, ASK and READONLY replies: not when a node stops answering.
	ClusterStateReloadInterval time.Duration `json:"cluster_state_reload_interval,omitempty"`
}

// Flags defines a flag for each option on fs, named as go-redis names the field
// (-max-redirects, -read-timeout, ...), each defaulting to go-redis's default.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.MaxRedirects, "max-redirects", o.MaxRedirects, "go-redis MaxRedirects: MOVED/ASK redirects and retries of one command (0: go-redis's 3; -1: none)")
	fs.IntVar(&o.MaxRetries, "max-retries", o.MaxRetries, "go-redis MaxRetries (0: go-redis's default; -1: none)")
	fs.DurationVar(&o.MinRetryBackoff, "min-retry-backoff", o.MinRetryBackoff, "go-redis MinRetryBackoff (0: go-redis's 10ms)")
	fs.DurationVar(&o.MaxRetryBackoff, "max-retry-backoff", o.MaxRetryBackoff, "go-redis MaxRetryBackoff (0: go-redis's 1s)")
	fs.DurationVar(&o.DialTimeout, "dial-timeout", o.DialTimeout, "go-redis DialTimeout (0: go-redis's 5s)")
	fs.DurationVar(&o.ReadTimeout, "read-timeout", o.ReadTimeout, "go-redis ReadTimeout (0: go-redis's 5s)")
	fs.DurationVar(&o.WriteTimeout, "write-timeout", o.WriteTimeout, "go-redis WriteTimeout (0: the read timeout)")
	fs.IntVar(&o.PoolSize, "pool-size", o.PoolSize, "go-redis PoolSize, connections per node (0: go-redis's 5 per CPU)")
	fs.BoolVar(&o.ReadOnly, "read-only", o.ReadOnly, "go-redis ReadOnly: reads may go to replicas")
	fs.BoolVar(&o.RouteByLatency, "route-by-latency", o.RouteByLatency, "go-redis RouteByLatency: reads to the closest node of the slot (implies -read-only)")
	fs.BoolVar(&o.RouteRandomly, "route-randomly", o.RouteRandomly, "go-redis RouteRandomly: reads to a random node of the slot (implies -read-only)")
	fs.DurationVar(&o.ClusterStateReloadInterval, "cluster-state-reload-interval", o.ClusterStateReloadInterval, "go-redis ClusterStateReloadInterval: the slot map's age that makes a command reload it (0: go-redis's 60s)")
}

// Check refuses options go-redis would misread, naming the flag.
func (o Options) Check() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"min-retry-backoff", o.MinRetryBackoff}, {"max-retry-backoff", o.MaxRetryBackoff}, {"read-timeout", o.ReadTimeout}, {"write-timeout", o.WriteTimeout}} {
		if d.v < 0 && d.v != -1 {
			return fmt.Errorf("%s %v: want 0 (go-redis's default), -1 (none) or more", d.name, d.v)
		}
	}
	switch {
	case o.MaxRedirects < -1:
		return fmt.Errorf("max-redirects %d: want -1 (none), 0 (go-redis's 3) or more", o.MaxRedirects)
	case o.MaxRetries < -1:
		return fmt.Errorf("max-retries %d: want -1 (none), 0 (go-redis's default) or more", o.MaxRetries)
	case o.ClusterStateReloadInterval < 0:
		return fmt.Errorf("cluster-state-reload-interval %v: want 0 (go-redis's 60s) or more", o.ClusterStateReloadInterval)
	case o.DialTimeout < 0:
		return fmt.Errorf("dial-timeout %v: want 0 (go-redis's 5s) or more", o.DialTimeout)
	case o.PoolSize < 0:
		return fmt.Errorf("pool-size %d: want 0 (go-redis's default) or more", o.PoolSize)
	case o.MinRetryBackoff > 0 && o.MaxRetryBackoff > 0 && o.MinRetryBackoff > o.MaxRetryBackoff:
		return fmt.Errorf("min-retry-backoff %v is more than max-retry-backoff %v", o.MinRetryBackoff, o.MaxRetryBackoff)
	}
	return nil
}

// SimCPUs is the CPU count the simulated client takes for go-redis's default PoolSize (5
// per CPU): the 2 cores the live recordings were made on. The real default follows the
// machine's GOMAXPROCS; a simulation must not, or its output would differ by machine.
const SimCPUs = 2

// resolved returns o with go-redis's defaults in place of zeros and -1s, as
// ClusterOptions.init and the node clients' Options.init leave them: what the simulated
// client runs with.
func (o Options) resolved() Options {
	switch o.MaxRedirects {
	case -1:
		o.MaxRedirects = 0
	case 0:
		o.MaxRedirects = 3
	}
	if o.RouteByLatency || o.RouteRandomly {
		o.ReadOnly = true
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.PoolSize == 0 {
		o.PoolSize = 5 * SimCPUs
	}
	switch o.ReadTimeout {
	case -1:
		o.ReadTimeout = 0
	case 0:
		o.ReadTimeout = 5 * time.Second
	}
	switch o.WriteTimeout {
	case -1:
		o.WriteTimeout = 0
	case 0:
		o.WriteTimeout = o.ReadTimeout
	}
	// The cluster client turns 0 into -1, and each node's client turns -1 into no retries.
	if o.MaxRetries <= 0 {
		o.MaxRetries = 0
	}
	switch o.MinRetryBackoff {
	case -1:
		o.MinRetryBackoff = 0
	case 0:
		o.MinRetryBackoff = 10 * time.Millisecond
	}
	switch o.MaxRetryBackoff {
	case -1:
		o.MaxRetryBackoff = 0
	case 0:
		o.MaxRetryBackoff = time.Second
	}
	if o.ClusterStateReloadInterval == 0 {
		o.ClusterStateReloadInterval = 60 * time.Second
	}
	return o
}
