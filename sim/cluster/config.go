package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config holds the redis.conf options the model honours, with Redis 7's defaults.
type Config struct {
	NodeTimeout           time.Duration // cluster-node-timeout
	RequireFullCoverage   bool          // cluster-require-full-coverage
	ReplicaNoFailover     bool          // cluster-replica-no-failover
	AllowReadsWhenDown    bool          // cluster-allow-reads-when-down
	AllowReplicaMigration bool          // cluster-allow-replica-migration
	ReplicaValidityFactor int           // cluster-replica-validity-factor
	MigrationBarrier      int           // cluster-migration-barrier
	ReplPingReplicaPeriod time.Duration // repl-ping-replica-period
	ReplDisklessSyncDelay time.Duration // repl-diskless-sync-delay
	ReplTimeout           time.Duration // repl-timeout
	ReplBacklogSize       int64         // repl-backlog-size, bytes
	AppendOnly            bool          // appendonly (fsync every second when on)
	// EnableDebugCommand is enable-debug-command: "no" (Redis 7's default) refuses DEBUG;
	// "yes" allows it, and so does "local", every simulated client being on loopback.
	EnableDebugCommand string
}

// DefaultConfig returns Redis 7.0's defaults.
func DefaultConfig() Config {
	return Config{
		NodeTimeout:           15 * time.Second,
		RequireFullCoverage:   true,
		AllowReplicaMigration: true,
		ReplicaValidityFactor: 10,
		MigrationBarrier:      1,
		ReplPingReplicaPeriod: 10 * time.Second,
		ReplDisklessSyncDelay: 5 * time.Second,
		ReplTimeout:           60 * time.Second,
		ReplBacklogSize:       1 << 20,
		EnableDebugCommand:    "no",
	}
}

// Set applies one redis.conf option given as on a redis-server command line
// ("--cluster-node-timeout 5000" is Set("cluster-node-timeout", "5000")). Options the model
// does not simulate are accepted and ignored, as long as Redis knows them; an invalid value
// for a simulated option is an error in redis-server's words.
func (c *Config) Set(name, value string) error {
	name = strings.ToLower(strings.TrimPrefix(name, "--"))
	yesno := func(dst *bool) error {
		switch strings.ToLower(value) {
		case "yes":
			*dst = true
		case "no":
			*dst = false
		default:
			return fmt.Errorf("argument must be 'yes' or 'no'")
		}
		return nil
	}
	integer := func(min int64) (int64, error) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < min {
			return 0, fmt.Errorf("argument must be between %d and 9223372036854775807 inclusive", min)
		}
		return n, nil
	}
	var err error
	switch name {
	case "cluster-node-timeout":
		var n int64
		if n, err = integer(0); err == nil {
			c.NodeTimeout = time.Duration(n) * time.Millisecond
		}
	case "cluster-require-full-coverage":
		err = yesno(&c.RequireFullCoverage)
	case "cluster-replica-no-failover", "cluster-slave-no-failover":
		err = yesno(&c.ReplicaNoFailover)
	case "cluster-allow-reads-when-down":
		err = yesno(&c.AllowReadsWhenDown)
	case "cluster-allow-replica-migration":
		err = yesno(&c.AllowReplicaMigration)
	case "cluster-replica-validity-factor", "cluster-slave-validity-factor":
		var n int64
		if n, err = integer(0); err == nil {
			c.ReplicaValidityFactor = int(n)
		}
	case "cluster-migration-barrier":
		var n int64
		if n, err = integer(0); err == nil {
			c.MigrationBarrier = int(n)
		}
	case "repl-ping-replica-period", "repl-ping-slave-period":
		var n int64
		if n, err = integer(1); err == nil {
			c.ReplPingReplicaPeriod = time.Duration(n) * time.Second
		}
	case "repl-diskless-sync-delay":
		var n int64
		if n, err = integer(0); err == nil {
			c.ReplDisklessSyncDelay = time.Duration(n) * time.Second
		}
	case "repl-timeout":
		var n int64
		if n, err = integer(1); err == nil {
			c.ReplTimeout = time.Duration(n) * time.Second
		}
	case "appendonly":
		err = yesno(&c.AppendOnly)
	case "enable-debug-command":
		switch v := strings.ToLower(value); v {
		case "yes", "no", "local":
			c.EnableDebugCommand = v
		default:
			err = fmt.Errorf("argument(s) must be one of the following: no, yes, local")
		}
	case "cluster-enabled":
		var on bool
		if err = yesno(&on); err == nil && !on {
			err = fmt.Errorf("the simulator only runs nodes with cluster-enabled yes")
		}
	default:
		if !knownOption[name] {
			return fmt.Errorf("Bad directive or wrong number of arguments")
		}
	}
	if err != nil {
		return fmt.Errorf("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> '%s %s'\n%v", name, value, err)
	}
	return nil
}

// knownOption lists redis.conf options the model accepts without simulating them.
var knownOption = map[string]bool{
	"port": true, "bind": true, "dir": true, "dbfilename": true, "logfile": true, "loglevel": true,
	"daemonize": true, "protected-mode": true, "cluster-config-file": true, "save": true,
	"appendfilename": true, "appendfsync": true, "requirepass": true, "masterauth": true,
	"maxmemory": true, "maxmemory-policy": true, "cluster-announce-ip": true,
	"cluster-announce-port": true, "cluster-announce-bus-port": true, "cluster-port": true,
	"repl-diskless-sync": true, "repl-backlog-size": true, "hz": true, "timeout": true,
	"tcp-keepalive": true, "databases": true, "io-threads": true, "cluster-link-sendbuf-limit": true,
	"replica-read-only": true, "slave-read-only": true, "aof-use-rdb-preamble": true,
}
