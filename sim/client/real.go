package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterOptions returns the real go-redis's options for a client with o that starts from
// addrs.
func (o Options) ClusterOptions(addrs []string) *redis.ClusterOptions {
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

// A Real is the real go-redis's ClusterClient, for live runs against real servers, with a
// record of what each command went through: the MOVED and ASK replies it followed and the
// node that answered last.
type Real struct {
	*redis.ClusterClient
}

// NewReal returns a go-redis ClusterClient with options o that starts from addrs. It
// silences go-redis's process-wide logger: each RealResult carries its error instead.
func NewReal(o Options, addrs []string) *Real {
	quiet.Do(func() { redis.SetLogger(quietLog{}) })
	cc := redis.NewClusterClient(o.ClusterOptions(addrs))
	cc.OnNewNode(func(node *redis.Client) { node.AddHook(attemptHook{addr: node.Options().Addr}) })
	return &Real{cc}
}

// A RealResult is one command of a Real client as the application saw it.
type RealResult struct {
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
func (r RealResult) Redirected() bool { return len(r.Redirects) > 0 }

// Do runs one command and returns what it went through. A missing key is no error.
func (c *Real) Do(ctx context.Context, args ...any) RealResult {
	t := &trail{}
	ctx = context.WithValue(ctx, trailKey{}, t)
	r := RealResult{Start: time.Now()}
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
