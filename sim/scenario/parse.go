package scenario

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kvplace/kvplace/sim/cluster"
)

// A Runbook is a parsed runbook: its steps in order.
type Runbook struct {
	Steps []Step
}

// A Step is one runbook line: its number, its text as written, and what it asks for.
type Step struct {
	Line int
	Text string
	Cmd  Command
}

// A Command is one of the typed commands below.
type Command interface{ command() }

// DockerRun is `docker run ... --name NAME ... IMAGE [redis-server options]`: start a Redis
// process. With --net host the process listens on 127.0.0.1:Port.
type DockerRun struct {
	Name    string
	Image   string
	Port    int
	Options [][2]string // redis-server options after the image, in order
}

// DockerStop is `docker stop NAME...` (SIGTERM: a graceful shutdown).
type DockerStop struct{ Names []string }

// DockerKill is `docker kill NAME...` (SIGKILL: a crash).
type DockerKill struct{ Names []string }

// DockerStart is `docker start NAME...`.
type DockerStart struct{ Names []string }

// DockerPs is `docker ps`.
type DockerPs struct{}

// DockerExec is `docker exec ...`, which a runbook uses to enter a container: nothing to do.
type DockerExec struct{}

// RedisCLI is `redis-cli [-c] [-h HOST] [-p PORT] COMMAND...`.
type RedisCLI struct {
	Host    string
	Port    int
	Cluster bool // -c: follow MOVED and ASK redirects
	Args    []string
}

// ClusterTool is `redis-cli --cluster SUBCOMMAND ...`.
type ClusterTool struct {
	Sub       string   // create, add-node, del-node, reshard, rebalance, check, info, fix, call, set-timeout
	Args      []string // positional arguments (addresses, node IDs)
	Replicas  int      // --cluster-replicas
	Yes       bool     // --cluster-yes
	Slave     bool     // --cluster-slave
	MasterID  string   // --cluster-master-id
	From      string   // --cluster-from
	To        string   // --cluster-to
	Slots     int      // --cluster-slots
	Weights   []string // --cluster-weight id=w ...
	UseEmpty  bool     // --cluster-use-empty-masters
	Threshold float32  // --cluster-threshold
	Simulate  bool     // --cluster-simulate
	Timeout   int      // --cluster-timeout
	Pipeline  int      // --cluster-pipeline

	FixUnreachable bool // --cluster-fix-with-unreachable-masters
	MultipleOwners bool // --cluster-search-multiple-owners
	Replace        bool // --cluster-replace
	OnlyMasters    bool // --cluster-only-masters (call)
	OnlyReplicas   bool // --cluster-only-replicas (call)
}

// Sleep waits (virtual time in simulation, real time live).
type Sleep struct{ D time.Duration }

// Partition cuts the named nodes into groups: `partition A,B | C,D`.
type Partition struct{ Groups [][]string }

// After schedules a fault Cmd to happen D from now, while the following lines run: `after
// 200ms docker stop redis-node-7` before a reshard crashes its target part-way through. Its
// output is not printed: it would land in the middle of another command's.
type After struct {
	D    time.Duration
	Cmd  Command
	Text string // Cmd as written
}

// Heal removes partitions.
type Heal struct{}

// Pause stalls a node (SIGSTOP); Resume continues it.
type Pause struct{ Node string }

// Resume continues a paused node.
type Resume struct{ Node string }

// Load writes Keys keys through a cluster client (`load KEYS [zipf S] [size BYTES]`):
// with zipf, Keys writes to keys drawn with Zipf(S) popularity among Keys keys; with size,
// each value is BYTES bytes ("value-i" and then LoadValue's filler) instead of "value-i".
type Load struct {
	Keys int
	Zipf float64
	Size int
}

// LoadValue writes one big value through a cluster client: `load hash KEY FIELDS`, a hash
// with fields field:1…field:FIELDS holding value:1…, as a loop of HSETs would write it (one
// EVAL of cluster.LoadScripts' script, so one turn of the server's event loop); `load list
// KEY ELEMENTS`, `load set KEY ELEMENTS` and `load zset KEY ELEMENTS` likewise, with RPUSH
// of value:i, SADD of member:i and ZADD of member:i scored i; or `load string KEY BYTES`, a
// SET of BYTES bytes of cluster.LoadString, which do not compress.
type LoadValue struct {
	Kind string // "string", "hash", "list", "set" or "zset"
	Key  string
	Size int // bytes or elements
}

func (After) command()       {}
func (DockerRun) command()   {}
func (DockerStop) command()  {}
func (DockerKill) command()  {}
func (DockerStart) command() {}
func (DockerPs) command()    {}
func (DockerExec) command()  {}
func (RedisCLI) command()    {}
func (ClusterTool) command() {}
func (Sleep) command()       {}
func (Partition) command()   {}
func (Heal) command()        {}
func (Pause) command()       {}
func (Resume) command()      {}
func (Load) command()        {}
func (LoadValue) command()   {}

// A ParseError names the runbook line that cannot be run.
type ParseError struct {
	File string // the runbook's name, "" when it has none
	Line int
	Text string // the line, cut to 200 bytes
	Msg  string
}

func (e *ParseError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.File != "" {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Msg, e.Text)
}

// MaxLine is the longest runbook line Parse reads, continuations included: 1 MiB.
const MaxLine = 1 << 20

// Parse reads a runbook: one command per line, # starts a comment, a trailing \ continues a
// line. It stops at the first line it cannot understand.
func Parse(r io.Reader) (*Runbook, error) { return ParseNamed("", r) }

// ParseFile reads the runbook in the file name; its errors name the file and the line.
func ParseFile(name string) (*Runbook, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseNamed(name, f)
}

// ParseNamed is Parse for a runbook called name, which its errors cite as name:line.
func ParseNamed(name string, r io.Reader) (*Runbook, error) {
	rb, err := parse(r)
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.File = name
		if len(pe.Text) > 200 {
			pe.Text = pe.Text[:200] + "…"
		}
	}
	return rb, err
}

func parse(r io.Reader) (*Runbook, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), MaxLine)
	rb := &Runbook{}
	var pending string
	start := 0
	lines := 0
	for no := 1; sc.Scan(); no++ {
		lines = no
		line := sc.Text()
		if pending == "" {
			start = no
		}
		if strings.HasSuffix(strings.TrimRight(line, " \t"), "\\") {
			pending += strings.TrimSuffix(strings.TrimRight(line, " \t"), "\\") + " "
			continue
		}
		text := strings.TrimSpace(pending + line)
		pending = ""
		if len(text) > MaxLine {
			return nil, &ParseError{Line: start, Text: text, Msg: fmt.Sprintf("a line of %d bytes, over the %d a runbook line may have", len(text), MaxLine)}
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cmd, err := parseLine(text)
		if err != nil {
			return nil, &ParseError{Line: start, Text: text, Msg: err.Error()}
		}
		rb.Steps = append(rb.Steps, Step{Line: start, Text: text, Cmd: cmd})
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		no := start
		if pending == "" {
			no = lines + 1
		}
		return nil, &ParseError{Line: no, Text: "", Msg: fmt.Sprintf("a line over the %d bytes a runbook line may have", MaxLine)}
	} else if err != nil {
		return nil, err
	}
	if pending != "" {
		return nil, &ParseError{Line: start, Text: strings.TrimSpace(pending), Msg: "the last line ends with a continuation backslash"}
	}
	return rb, nil
}

// fields splits a line like a shell: spaces separate words, quotes group them.
func fields(text string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	quote := rune(0)
	for _, r := range text {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			inWord = true
		case unicode.IsSpace(r):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

func parseLine(text string) (Command, error) {
	// "partition" uses | as its own separator, before shell splitting.
	f, err := fields(text)
	if err != nil {
		return nil, err
	}
	switch f[0] {
	case "docker":
		return parseDocker(f[1:])
	case "redis-cli":
		return parseRedisCLI(f[1:])
	case "sleep":
		if len(f) != 2 {
			return nil, fmt.Errorf("sleep takes one duration, such as 15s or 500ms")
		}
		return parseSleep(f[1])
	case "partition":
		return parsePartition(strings.TrimSpace(strings.TrimPrefix(text, "partition")))
	case "heal":
		if len(f) != 1 {
			return nil, fmt.Errorf("heal takes no argument")
		}
		return Heal{}, nil
	case "pause", "resume":
		if len(f) != 2 {
			return nil, fmt.Errorf("%s takes one node (a container name or HOST:PORT)", f[0])
		}
		if f[0] == "pause" {
			return Pause{Node: f[1]}, nil
		}
		return Resume{Node: f[1]}, nil
	case "load":
		return parseLoad(f[1:])
	case "after":
		return parseAfter(text, f)
	}
	return nil, fmt.Errorf("unknown command %q (want docker, redis-cli, sleep, partition, heal, pause, resume, load or after)", f[0])
}

// parseAfter parses `after DURATION COMMAND`, where COMMAND is a fault: docker stop, kill
// or start, pause, resume, partition or heal.
func parseAfter(text string, f []string) (Command, error) {
	if len(f) < 3 {
		return nil, fmt.Errorf("after takes a duration and a command, as in after 200ms docker stop redis-node-7")
	}
	d, err := parseSleep(f[1])
	if err != nil {
		return nil, err
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(text, "after")), f[1]))
	cmd, err := parseLine(rest)
	if err != nil {
		return nil, err
	}
	switch cmd.(type) {
	case DockerStop, DockerKill, DockerStart, Pause, Resume, Partition, Heal:
		return After{D: d.(Sleep).D, Cmd: cmd, Text: rest}, nil
	}
	return nil, fmt.Errorf("after can schedule docker stop, kill or start, pause, resume, partition or heal, not %q", rest)
}

// MaxSleep bounds the durations of sleep and after: a week of virtual time, which a small
// cluster simulates in about half a minute. Longer sleeps would run for hours (a sleep of
// 292 years used to wrap around and return at once instead).
const MaxSleep = 7 * 24 * time.Hour

func parseSleep(arg string) (Command, error) {
	d, err := time.ParseDuration(arg)
	if err != nil {
		// Bare numbers are seconds, as for the shell's sleep.
		secs, err2 := strconv.ParseFloat(arg, 64)
		if err2 != nil {
			return nil, fmt.Errorf("bad duration %q: want a number of seconds or a duration such as 15s", arg)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return nil, fmt.Errorf("negative duration %q", arg)
	}
	if d > MaxSleep {
		return nil, fmt.Errorf("duration %q: at most %v of virtual time", arg, MaxSleep)
	}
	return Sleep{D: d}, nil
}

func parsePartition(spec string) (Command, error) {
	sides := strings.Split(spec, "|")
	if len(sides) < 2 {
		return nil, fmt.Errorf("partition needs at least two sides separated by |, as in partition A,B | C")
	}
	var p Partition
	for _, side := range sides {
		var group []string
		for _, n := range strings.FieldsFunc(side, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			group = append(group, n)
		}
		if len(group) == 0 {
			return nil, fmt.Errorf("a partition side is empty")
		}
		p.Groups = append(p.Groups, group)
	}
	return p, nil
}

// Limits of what load writes: a Redis string holds at most proto-max-bulk-len, 512 MB by
// default; a collection of 10^8 elements would take a real server minutes to write.
const (
	maxLoadBytes  = 512 << 20
	maxLoadFields = 100_000_000
)

func parseLoad(args []string) (Command, error) {
	if len(args) > 0 {
		if _, ok := cluster.LoadScripts[args[0]]; ok || args[0] == "string" {
			return parseLoadValue(args)
		}
	}
	const usage = "load takes a key count, optionally zipf S and size BYTES; or hash KEY FIELDS; or list|set|zset KEY ELEMENTS; or string KEY BYTES"
	if len(args) == 0 {
		return nil, errors.New(usage)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("load: %q is not a positive key count (%s)", args[0], usage)
	}
	l := Load{Keys: n}
	for rest := args[1:]; len(rest) > 0; rest = rest[2:] {
		if len(rest) < 2 {
			return nil, fmt.Errorf("load: %s needs a value", rest[0])
		}
		switch rest[0] {
		case "zipf":
			s, err := strconv.ParseFloat(rest[1], 64)
			if err != nil || s <= 0 {
				return nil, fmt.Errorf("load: zipf exponent %q must be a positive number", rest[1])
			}
			l.Zipf = s
		case "size":
			b, err := strconv.Atoi(rest[1])
			if err != nil || b <= 0 || b > maxLoadBytes {
				return nil, fmt.Errorf("load: size %q must be a byte count from 1 to %d", rest[1], maxLoadBytes)
			}
			l.Size = b
		default:
			return nil, fmt.Errorf("load: unknown option %q (want zipf S or size BYTES)", rest[0])
		}
	}
	return l, nil
}

func parseLoadValue(args []string) (Command, error) {
	kind := args[0]
	unit, limit := "ELEMENTS", maxLoadFields
	switch kind {
	case "string":
		unit, limit = "BYTES", maxLoadBytes
	case "hash":
		unit = "FIELDS"
	}
	if len(args) != 3 {
		return nil, fmt.Errorf("load %s takes a key and a count: load %s KEY %s", kind, kind, unit)
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n <= 0 || n > limit {
		return nil, fmt.Errorf("load %s: %s %q must be a whole number from 1 to %d", kind, strings.ToLower(unit), args[2], limit)
	}
	return LoadValue{Kind: kind, Key: args[1], Size: n}, nil
}

// dockerValueFlags are docker run options that take a value as the next word.
var dockerValueFlags = map[string]bool{
	"--name": true, "--net": true, "--network": true, "-v": true, "--volume": true, "-p": true,
	"--publish": true, "-e": true, "--env": true, "--restart": true, "-m": true, "--memory": true,
	"--cpus": true, "-h": true, "--hostname": true, "-w": true, "--workdir": true, "--ulimit": true,
	"--log-driver": true, "--log-opt": true, "-u": true, "--user": true, "--entrypoint": true,
}

func parseDocker(f []string) (Command, error) {
	if len(f) == 0 {
		return nil, fmt.Errorf("docker needs a subcommand")
	}
	switch f[0] {
	case "run":
		return parseDockerRun(f[1:])
	case "stop", "start", "kill":
		if len(f) < 2 {
			return nil, fmt.Errorf("docker %s needs a container name", f[0])
		}
		var names []string
		for _, a := range f[1:] {
			if !strings.HasPrefix(a, "-") {
				names = append(names, a)
			}
		}
		switch f[0] {
		case "stop":
			return DockerStop{Names: names}, nil
		case "start":
			return DockerStart{Names: names}, nil
		}
		return DockerKill{Names: names}, nil
	case "ps":
		return DockerPs{}, nil
	case "exec":
		return DockerExec{}, nil
	}
	return nil, fmt.Errorf("unsupported docker subcommand %q (want run, stop, start, kill, ps or exec)", f[0])
}

func parseDockerRun(f []string) (Command, error) {
	var r DockerRun
	i := 0
	for ; i < len(f); i++ {
		a := f[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		if name == "--name" {
			if !hasValue {
				if i+1 >= len(f) {
					return nil, fmt.Errorf("--name needs a value")
				}
				i++
				value = f[i]
			}
			r.Name = value
			continue
		}
		if dockerValueFlags[name] && !hasValue {
			i++ // skip its value
		}
	}
	if i >= len(f) {
		return nil, fmt.Errorf("docker run needs an image, such as redis:7.0")
	}
	r.Image = f[i]
	if r.Name == "" {
		return nil, fmt.Errorf("docker run needs --name, so later lines can refer to the container")
	}
	rest := f[i+1:]
	if len(rest) > 0 && (rest[0] == "redis-server" || strings.HasSuffix(rest[0], "/redis-server")) {
		rest = rest[1:]
	}
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if !strings.HasPrefix(a, "--") {
			return nil, fmt.Errorf("redis-server option %q should start with --", a)
		}
		if j+1 >= len(rest) || strings.HasPrefix(rest[j+1], "--") {
			return nil, fmt.Errorf("redis-server option %s needs a value", a)
		}
		name, value := strings.TrimPrefix(a, "--"), rest[j+1]
		j++
		if name == "port" {
			p, err := strconv.Atoi(value)
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("--port %q is not a port", value)
			}
			r.Port = p
			continue
		}
		r.Options = append(r.Options, [2]string{name, value})
	}
	if r.Port == 0 {
		r.Port = 6379
	}
	return r, nil
}

func parseRedisCLI(f []string) (Command, error) {
	var r RedisCLI
	r.Host, r.Port = "127.0.0.1", 6379
	for i := 0; i < len(f); i++ {
		a := f[i]
		switch {
		case len(r.Args) > 0:
			// Once the command has started, every word is one of its arguments.
			r.Args = append(r.Args, a)
		case a == "--cluster":
			if i+1 >= len(f) {
				return nil, fmt.Errorf("--cluster needs a subcommand")
			}
			return parseClusterTool(f[i+1:])
		case a == "-c":
			r.Cluster = true
		case a == "-h" || a == "-p":
			if i+1 >= len(f) {
				return nil, fmt.Errorf(errUnrecognized, a)
			}
			i++
			if a == "-h" {
				r.Host = f[i]
			} else {
				p, err := strconv.Atoi(f[i])
				if err != nil || p <= 0 || p > 65535 {
					return nil, fmt.Errorf("-p %q is not a port", f[i])
				}
				r.Port = p
			}
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("redis-cli option %q is not simulated (want -c, -h, -p or --cluster)", a)
		default:
			r.Args = append(r.Args, a)
		}
	}
	if len(r.Args) == 0 {
		return nil, fmt.Errorf("redis-cli needs a command: an interactive session cannot be replayed")
	}
	return r, nil
}

// clusterSubs lists the --cluster subcommands the simulator runs and their arity as
// redis-cli's clusterManagerCommands table gives it: n exactly n arguments, -n at least n.
var clusterSubs = map[string]int{"create": -2, "add-node": 2, "del-node": 2, "reshard": -1, "rebalance": -1, "check": -1, "info": -1, "fix": -1, "call": -2, "set-timeout": 2}

// redis-cli's own messages for command lines it rejects (redis-cli.c, 7.0.15).
const (
	errUnknownSub   = "Unknown --cluster subcommand"
	errWrongArity   = "[ERR] Wrong number of arguments for specified --cluster sub command"
	errUnrecognized = "Unrecognized option or bad number of args for: '%s'"
)

func parseClusterTool(f []string) (Command, error) {
	t := ClusterTool{Sub: f[0], Threshold: 2, Timeout: 60000, Pipeline: 10}
	want, ok := clusterSubs[t.Sub]
	if !ok {
		switch t.Sub {
		case "import", "backup", "help":
			return nil, fmt.Errorf("redis-cli --cluster %s is real but not simulated (want create, add-node, del-node, reshard, rebalance, check, fix, info, call or set-timeout)", t.Sub)
		}
		return nil, errors.New(errUnknownSub)
	}
	for i := 1; i < len(f); i++ {
		a := f[i]
		if !strings.HasPrefix(a, "--cluster-") {
			t.Args = append(t.Args, a)
			continue
		}
		flag := strings.TrimPrefix(a, "--cluster-")
		value := func() (string, error) {
			if i+1 >= len(f) {
				return "", fmt.Errorf(errUnrecognized, a)
			}
			i++
			return f[i], nil
		}
		integer := func() (int, error) {
			v, err := value()
			if err != nil {
				return 0, err
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%s %q is not a whole number", a, v)
			}
			return n, nil
		}
		var err error
		switch flag {
		case "replicas":
			t.Replicas, err = integer()
		case "yes":
			t.Yes = true
		case "slave":
			t.Slave = true
		case "master-id":
			t.MasterID, err = value()
		case "from":
			t.From, err = value()
		case "to":
			t.To, err = value()
		case "slots":
			t.Slots, err = integer()
		case "weight":
			// As redis-cli: the words with an = after the flag; none is no error.
			if i+1 >= len(f) {
				err = fmt.Errorf(errUnrecognized, a)
			}
			for i+1 < len(f) && !strings.HasPrefix(f[i+1], "--") && strings.Contains(f[i+1], "=") {
				i++
				t.Weights = append(t.Weights, f[i])
			}
		case "use-empty-masters":
			t.UseEmpty = true
		case "threshold":
			var v string
			if v, err = value(); err == nil {
				var th float64
				th, err = strconv.ParseFloat(v, 32)
				t.Threshold = float32(th)
			}
		case "simulate":
			t.Simulate = true
		case "timeout":
			t.Timeout, err = integer()
		case "pipeline":
			t.Pipeline, err = integer()
		case "fix-with-unreachable-masters":
			t.FixUnreachable = true
		case "search-multiple-owners":
			t.MultipleOwners = true
		case "replace":
			t.Replace = true
		case "only-masters":
			t.OnlyMasters = true
		case "only-replicas":
			t.OnlyReplicas = true
		case "copy", "from-user", "from-pass", "from-askpass":
			err = fmt.Errorf("redis-cli accepts %s but the simulator does not model it", a)
		default:
			err = fmt.Errorf(errUnrecognized, a)
		}
		if err != nil {
			return nil, err
		}
	}
	// "<host> <port>", separated by a space, is redis-cli's other spelling of one address.
	if want == -1 && len(t.Args) == 2 {
		if _, err := strconv.Atoi(t.Args[1]); err == nil && !strings.Contains(t.Args[0], ":") {
			t.Args = []string{t.Args[0] + ":" + t.Args[1]}
		}
	}
	if (want > 0 && len(t.Args) != want) || (want < 0 && len(t.Args) < -want) {
		return nil, errors.New(errWrongArity)
	}
	if t.Sub == "reshard" && (t.From == "" || t.To == "" || t.Slots == 0) {
		return nil, fmt.Errorf("--cluster reshard needs --cluster-from, --cluster-to and --cluster-slots (a runbook cannot answer redis-cli's questions)")
	}
	return t, nil
}
