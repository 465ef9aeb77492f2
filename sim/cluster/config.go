package cluster

import (
	"fmt"
	"math"
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
	// ShutdownTimeout is shutdown-timeout: how long a master told to stop (SIGTERM) waits
	// for its replicas to acknowledge its whole stream; 0 stops at once.
	ShutdownTimeout time.Duration
	AppendOnly      bool // appendonly (fsync every second when on)
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
		ShutdownTimeout:       10 * time.Second,
		EnableDebugCommand:    "no",
	}
}

// option is one redis.conf option the model simulates: its names, how its value is read
// and shown, and whether CONFIG SET may change it while the node runs. The bounds and
// messages are Redis 7.0.15's (the standardConfig table of src/config.c).
type option struct {
	name, alias string
	immutable   bool   // IMMUTABLE_CONFIG: only at start-up
	fixed       string // why the model cannot change it at run time, though Redis can
	set         func(c *Config, v string) error
	get         func(c *Config) string
}

const intMax = 1<<31 - 1

func boolOption(name, alias string, field func(*Config) *bool) option {
	return option{name: name, alias: alias,
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "yes":
				*field(c) = true
			case "no":
				*field(c) = false
			default:
				return fmt.Errorf("argument must be 'yes' or 'no'")
			}
			return nil
		},
		get: func(c *Config) string { return map[bool]string{true: "yes", false: "no"}[*field(c)] },
	}
}

// intOption is an integer option in Redis's unit; in the Config it is a count, or a
// duration of unit each.
func intOption(name, alias string, min, max int64, set func(*Config, int64) error, get func(*Config) int64) option {
	return option{name: name, alias: alias,
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			if n < min || n > max {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, max)
			}
			return set(c, n)
		},
		get: func(c *Config) string { return strconv.FormatInt(get(c), 10) },
	}
}

func durationOption(name, alias string, min, max int64, unit time.Duration, field func(*Config) *time.Duration) option {
	return intOption(name, alias, min, max,
		func(c *Config, n int64) error {
			// Redis takes any long long; a Duration holds 292 years.
			if n > math.MaxInt64/int64(unit) {
				return fmt.Errorf("argument %d is longer than the simulator can hold (%d)", n, math.MaxInt64/int64(unit))
			}
			*field(c) = time.Duration(n) * unit
			return nil
		},
		func(c *Config) int64 { return int64(*field(c) / unit) })
}

func countOption(name, alias string, min, max int64, field func(*Config) *int) option {
	return intOption(name, alias, min, max,
		func(c *Config, n int64) error { *field(c) = int(n); return nil },
		func(c *Config) int64 { return int64(*field(c)) })
}

// options are the simulated options, in src/config.c's order.
var options = func() []option {
	appendOnly := boolOption("appendonly", "", func(c *Config) *bool { return &c.AppendOnly })
	appendOnly.fixed = "turning the append-only file on or off while the node runs"
	return []option{
		boolOption("cluster-require-full-coverage", "", func(c *Config) *bool { return &c.RequireFullCoverage }),
		boolOption("cluster-replica-no-failover", "cluster-slave-no-failover", func(c *Config) *bool { return &c.ReplicaNoFailover }),
		appendOnly,
		boolOption("cluster-allow-reads-when-down", "", func(c *Config) *bool { return &c.AllowReadsWhenDown }),
		boolOption("cluster-allow-replica-migration", "", func(c *Config) *bool { return &c.AllowReplicaMigration }),
		{name: "enable-debug-command", immutable: true,
			set: func(c *Config, v string) error {
				switch v := strings.ToLower(v); v {
				case "yes", "no", "local":
					c.EnableDebugCommand = v
					return nil
				}
				return fmt.Errorf("argument(s) must be one of the following: no, yes, local")
			},
			get: func(c *Config) string { return c.EnableDebugCommand }},
		countOption("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, intMax, func(c *Config) *int { return &c.ReplicaValidityFactor }),
		countOption("cluster-migration-barrier", "", 0, intMax, func(c *Config) *int { return &c.MigrationBarrier }),
		durationOption("repl-diskless-sync-delay", "", 0, intMax, time.Second, func(c *Config) *time.Duration { return &c.ReplDisklessSyncDelay }),
		durationOption("repl-timeout", "", 1, intMax, time.Second, func(c *Config) *time.Duration { return &c.ReplTimeout }),
		durationOption("repl-ping-replica-period", "repl-ping-slave-period", 1, intMax, time.Second, func(c *Config) *time.Duration { return &c.ReplPingReplicaPeriod }),
		durationOption("shutdown-timeout", "", 0, intMax, time.Second, func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
		durationOption("cluster-node-timeout", "", 0, 1<<63-1, time.Millisecond, func(c *Config) *time.Duration { return &c.NodeTimeout }),
		{name: "cluster-enabled", immutable: true,
			set: func(c *Config, v string) error {
				if !strings.EqualFold(v, "yes") {
					if !strings.EqualFold(v, "no") {
						return fmt.Errorf("argument must be 'yes' or 'no'")
					}
					return fmt.Errorf("the simulator only runs nodes with cluster-enabled yes")
				}
				return nil
			},
			get: func(*Config) string { return "yes" }},
	}
}()

func lookupOption(name string) *option {
	name = strings.ToLower(name)
	for i := range options {
		if o := &options[i]; o.name == name || (o.alias != "" && o.alias == name) {
			return o
		}
	}
	return nil
}

// Set applies one redis.conf option given as on a redis-server command line
// ("--cluster-node-timeout 5000" is Set("cluster-node-timeout", "5000")). Options the model
// does not simulate are accepted and ignored, as long as Redis knows them; an invalid value
// for a simulated option is an error in redis-server's words.
func (c *Config) Set(name, value string) error {
	name = strings.ToLower(strings.TrimPrefix(name, "--"))
	var err error
	if o := lookupOption(name); o != nil {
		err = o.set(c, value)
	} else if !knownOption[name] {
		err = fmt.Errorf("Bad directive or wrong number of arguments")
	}
	if err != nil {
		return fmt.Errorf("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> '%s %s'\n%v", name, value, err)
	}
	return nil
}

// configCommand is CONFIG GET, SET and REWRITE on a running node (configCommand and its
// subcommands in src/config.c).
func (n *Node) configCommand(args []string) Reply {
	if len(args) < 2 {
		return errorf("ERR wrong number of arguments for 'config' command")
	}
	sub := strings.ToLower(args[1])
	switch sub {
	case "get":
		if len(args) < 3 {
			return errorf("ERR wrong number of arguments for 'config|get' command")
		}
		// Each pattern adds the options it matches, once each: exact names (aliases too)
		// and globs over the names. An option Redis has and the model does not simulate
		// is an error rather than a silently missing value.
		var out []Reply
		seen := map[string]bool{}
		for _, pat := range args[2:] {
			pat = strings.ToLower(pat)
			if o := lookupOption(pat); o != nil {
				if !seen[pat] {
					seen[pat] = true
					out = append(out, bulkReply(pat), bulkReply(o.get(&n.cfg)))
				}
				continue
			}
			if knownOption[pat] {
				return errorf("ERR CONFIG GET %s: the simulator accepts this option but does not model it", pat)
			}
			for _, o := range options {
				if match(pat, o.name) && !seen[o.name] {
					seen[o.name] = true
					out = append(out, bulkReply(o.name), bulkReply(o.get(&n.cfg)))
				}
			}
		}
		return arrayReply(out...)
	case "set":
		if len(args) < 4 || len(args)%2 != 0 {
			return errorf("ERR wrong number of arguments for 'config|set' command")
		}
		// All or nothing, as in Redis: every pair is checked on a copy first.
		next := n.cfg
		seen := map[*option]bool{}
		for i := 2; i < len(args); i += 2 {
			o := lookupOption(args[i])
			if o == nil {
				if knownOption[strings.ToLower(args[i])] {
					return errorf("ERR CONFIG SET %s: the simulator accepts this option but does not model it", args[i])
				}
				return errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", args[i])
			}
			failed := func(why string) Reply {
				return errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", args[i], why)
			}
			if o.immutable {
				return failed("can't set immutable config")
			}
			if seen[o] {
				return failed("duplicate parameter")
			}
			seen[o] = true
			was := o.get(&next)
			if err := o.set(&next, args[i+1]); err != nil {
				return failed(err.Error())
			}
			if o.fixed != "" && o.get(&next) != was {
				return errorf("ERR CONFIG SET %s: the simulator does not model %s", args[i], o.fixed)
			}
		}
		n.cfg = next
		n.updateMyselfFlags()
		return okReply()
	case "rewrite":
		if len(args) != 2 {
			return errorf("ERR wrong number of arguments for 'config|rewrite' command")
		}
		// The model's nodes are started from a command line, as the tutorial's containers
		// are, never from a file.
		return errReply("ERR The server is running without a config file")
	}
	return errorf("ERR unknown subcommand '%s'. Try CONFIG HELP.", args[1])
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
