package scenario

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// A container is a `docker run` of the runbook, as `docker ps` shows it.
type container struct {
	id      string // 12 hex digits
	name    string
	image   string
	host    string // "" for 127.0.0.1, where docker run --net host puts the server
	port    int
	created time.Duration // since the run started
	started time.Duration
	running bool
}

// addr is the server's client address.
func (c *container) addr() string {
	host := c.host
	if host == "" {
		host = "127.0.0.1"
	}
	return host + ":" + strconv.Itoa(c.port)
}

// humanDuration is docker's go-units HumanDuration: "Less than a second", "3 seconds",
// "About a minute", "13 hours"...
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	switch m := int(d.Minutes()); {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	switch h := int(d.Hours() + 0.5); {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	}
	return fmt.Sprintf("%d weeks", int(d.Hours())/24/7)
}

// dockerPs prints the running containers, newest first, as `docker ps` does.
func dockerPs(w io.Writer, containers []*container, now time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
	for i := len(containers) - 1; i >= 0; i-- {
		c := containers[i]
		if !c.running {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\tUp %s\t\t%s\n", c.id, c.image, `"docker-entrypoint.s…"`,
			humanDuration(now-c.created), humanDuration(now-c.started), c.name)
	}
	tw.Flush()
}

// A host runs the processes behind a backend's containers: simulated nodes or real
// redis-server processes.
type host interface {
	container(name string) (*container, bool)
	up(ct *container) bool
	stop(ct *container, graceful bool) error // SIGTERM when graceful, else SIGKILL
	start(ct *container) error
	elapsed() time.Duration
}

// dockerDown carries out docker stop (graceful) or docker kill: each named container's
// process goes down if it is up, and docker prints the name, or its error for a name it
// does not know.
func dockerDown(h host, names []string, graceful bool, out io.Writer) error {
	for _, name := range names {
		ct, ok := h.container(name)
		if !ok {
			dockerNoSuch(out, name)
			continue
		}
		if h.up(ct) {
			if err := h.stop(ct, graceful); err != nil {
				return err
			}
			ct.running = false
		}
		fmt.Fprintln(out, name)
	}
	return nil
}

// dockerStart carries out docker start: each named container's process starts again on
// its files if it is down.
func dockerStart(h host, names []string, out io.Writer) error {
	for _, name := range names {
		ct, ok := h.container(name)
		if !ok {
			dockerNoSuch(out, name)
			continue
		}
		if !h.up(ct) {
			if err := h.start(ct); err != nil {
				return err
			}
			ct.running, ct.started = true, h.elapsed()
		}
		fmt.Fprintln(out, name)
	}
	return nil
}

func dockerNoSuch(w io.Writer, name string) {
	fmt.Fprintf(w, "Error response from daemon: No such container: %s\n", name)
}

// containerID derives a container's 12-hex ID from the run's seed and its name.
func containerID(seed uint64, name string) string {
	h := seed ^ 0xcbf29ce484222325
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 0x100000001b3
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return fmt.Sprintf("%012x", h&0xffffffffffff)
}

// rawOutput reports whether redis-cli prints a command's reply raw rather than quoted
// (cliSendCommand's output_raw list).
func rawOutput(args []string) bool {
	cmd := strings.ToLower(args[0])
	switch {
	case cmd == "info":
		return true
	case cmd == "cluster" && len(args) == 2:
		sub := strings.ToLower(args[1])
		return sub == "nodes" || sub == "info"
	case cmd == "client" && len(args) >= 2:
		sub := strings.ToLower(args[1])
		return sub == "list" || sub == "info"
	}
	return false
}
