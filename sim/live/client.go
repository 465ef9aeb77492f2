package live

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClientOptions are the options of go-redis's ClusterClient that decide what an
// application sees while a cluster fails over or reshards, as a user would set them. A
// zero field means go-redis's own default, which ClusterOptions.init gives it (quoted for
// v9.23.0, the version go.mod pins): MaxRedirects 3 (-1: none), MaxRetries none at the
// node level (-1 too), backoff 10 ms to 1 s between retries, DialTimeout 5 s, ReadTimeout
// 5 s (-1: none), WriteTimeout the ReadTimeout, PoolSize 5 per CPU, and reads from the
// master unless ReadOnly, RouteByLatency or RouteRandomly (which imply ReadOnly) send them
// to replicas too, and the slot map reloaded when it is 60 s old.
type ClientOptions struct {
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
func (o *ClientOptions) Flags(fs *flag.FlagSet) {
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

// Check refuses options go-redis would misread.
func (o ClientOptions) Check() error {
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

// ClusterOptions returns go-redis's options for a client that starts from addrs.
func (o ClientOptions) ClusterOptions(addrs []string) *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:           addrs,
		MaxRedirects:    o.MaxRedirects,
		MaxRetries:      o.MaxRetries,
		MinRetryBackoff: o.MinRetryBackoff,
		MaxRetryBackoff: o.MaxRetryBackoff,
		DialTimeout:     o.DialTimeout,
		ReadTimeout:     o.ReadTimeout,
		WriteTimeout:    o.WriteTimeout,
		PoolSize:        o.PoolSize,
		ReadOnly:        o.ReadOnly,
		RouteByLatency:  o.RouteByLatency,
		RouteRandomly:   o.RouteRandomly,

		ClusterStateReloadInterval: o.ClusterStateReloadInterval,
		// RESP2, which Redis 7.0 and every client speak alike; and no CLIENT SETINFO, which
		// 7.0 does not know (go-redis ignores the error, but it would be one more round
		// trip on every connection).
		Protocol:        2,
		DisableIdentity: true,
	}
}

// A Client is go-redis's ClusterClient with a record of what each command went through:
// the MOVED and ASK replies it followed and the node that answered last.
type Client struct {
	*redis.ClusterClient
}

// NewClient returns a go-redis ClusterClient that starts from addrs. It silences
// go-redis's process-wide logger: each Result carries its error instead.
func NewClient(o ClientOptions, addrs []string) *Client {
	quiet.Do(func() { redis.SetLogger(quietLog{}) })
	cc := redis.NewClusterClient(o.ClusterOptions(addrs))
	cc.OnNewNode(func(node *redis.Client) { node.AddHook(attemptHook{addr: node.Options().Addr}) })
	return &Client{cc}
}

// A Result is one command as the application saw it.
type Result struct {
	Start, End time.Time
	// Reply is the string reply (a GET's value, a SET's "OK"); Found is false for a GET of
	// a missing key (go-redis's redis.Nil), which is no error.
	Reply string
	Found bool
	Err   error
	// Redirects are the MOVED and ASK replies followed, in order ("MOVED 3999
	// 127.0.0.1:7002"); Attempts counts every try on a node, redirects and retries included.
	Redirects []string
	Attempts  int
	Addr      string // the node that gave the last answer
}

// Redirected reports whether the command followed a MOVED or ASK.
func (r Result) Redirected() bool { return len(r.Redirects) > 0 }

// Do runs one command and returns what it went through. A missing key is no error.
func (c *Client) Do(ctx context.Context, args ...any) Result {
	t := &trail{}
	ctx = context.WithValue(ctx, trailKey{}, t)
	r := Result{Start: time.Now()}
	cmd := c.ClusterClient.Do(ctx, args...)
	r.End = time.Now()
	val, err := cmd.Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		r.Err = err
	default:
		r.Found = true
		if s, ok := val.(string); ok {
			r.Reply = s
		} else {
			r.Reply = fmt.Sprint(val)
		}
	}
	t.mu.Lock()
	r.Redirects, r.Attempts, r.Addr = t.redirects, t.attempts, t.addr
	t.mu.Unlock()
	return r
}

// trail collects, in the context of one command, what attemptHook saw on the nodes.
type trail struct {
	mu        sync.Mutex
	redirects []string
	attempts  int
	addr      string
}

type trailKey struct{}

// attemptHook sits on each node's client, below the cluster client's redirects and
// retries, and notes every attempt in the command's trail.
type attemptHook struct{ addr string }

func (h attemptHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h attemptHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.note(ctx, err)
		return err
	}
}

// ProcessPipelineHook sees the ASKING+command pipeline that follows an ASK.
func (h attemptHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if len(cmds) > 0 {
			last := cmds[len(cmds)-1].Err()
			if last == nil {
				last = err
			}
			h.note(ctx, last)
		}
		return err
	}
}

func (h attemptHook) note(ctx context.Context, err error) {
	t, ok := ctx.Value(trailKey{}).(*trail)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attempts++
	t.addr = h.addr
	if err != nil {
		if s := err.Error(); strings.HasPrefix(s, "MOVED ") || strings.HasPrefix(s, "ASK ") {
			t.redirects = append(t.redirects, s)
		}
	}
}

// quietLog drops go-redis's own log lines ("redis: ... connection refused"), which would
// interleave with a command's output; the errors reach the caller in each Result.
type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

// quiet silences go-redis's process-wide logger, once, when the first Client is made.
var quiet sync.Once
