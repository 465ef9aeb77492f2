package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSeedRunbook(t *testing.T) {
	f, err := os.Open("../../experiments/scenario/testdata/seed.txt")
	require.NoError(t, err)
	defer f.Close()
	rb, err := Parse(f)
	require.NoError(t, err)

	counts := map[string]int{}
	for _, s := range rb.Steps {
		counts[strings.TrimPrefix(typeName(s.Cmd), "scenario.")]++
	}
	assert.Equal(t, map[string]int{"DockerRun": 8, "DockerExec": 1, "DockerStop": 1, "DockerStart": 1,
		"ClusterTool": 10, "RedisCLI": 10, "Sleep": 9}, counts)

	first := rb.Steps[0]
	assert.Equal(t, 2, first.Line, "line numbers count the comment")
	assert.Equal(t, DockerRun{Name: "redis-node-1", Image: "redis:6.0.8", Port: 6381,
		Options: [][2]string{{"cluster-enabled", "yes"}, {"appendonly", "yes"}}}, first.Cmd)

	var reshard ClusterTool
	for _, s := range rb.Steps {
		if c, ok := s.Cmd.(ClusterTool); ok && c.Sub == "reshard" {
			reshard = c
			break
		}
	}
	assert.Equal(t, ClusterTool{Sub: "reshard", Args: []string{"127.0.0.1:6381"}, From: "all", To: "127.0.0.1:6387",
		Slots: 4096, Yes: true, Threshold: 2, Timeout: 60000, Pipeline: 10}, reshard)
}

func typeName(c Command) string {
	switch c.(type) {
	case DockerRun:
		return "DockerRun"
	case DockerStop:
		return "DockerStop"
	case DockerKill:
		return "DockerKill"
	case DockerStart:
		return "DockerStart"
	case DockerPs:
		return "DockerPs"
	case DockerExec:
		return "DockerExec"
	case RedisCLI:
		return "RedisCLI"
	case ClusterTool:
		return "ClusterTool"
	case Sleep:
		return "Sleep"
	case Partition:
		return "Partition"
	case Heal:
		return "Heal"
	case Pause:
		return "Pause"
	case Resume:
		return "Resume"
	case Load:
		return "Load"
	}
	return "?"
}

func TestParseLines(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Command
	}{
		{"redis-cli -c -p 6383 set k2 v2", RedisCLI{Host: "127.0.0.1", Port: 6383, Cluster: true, Args: []string{"set", "k2", "v2"}}},
		{"redis-cli -h 10.0.0.1 -p 7000 set 'a key' \"a value\"", RedisCLI{Host: "10.0.0.1", Port: 7000, Args: []string{"set", "a key", "a value"}}},
		{"redis-cli -p 6381 set k -c", RedisCLI{Host: "127.0.0.1", Port: 6381, Args: []string{"set", "k", "-c"}}},
		{"redis-cli --cluster check 127.0.0.1 6381", ClusterTool{Sub: "check", Args: []string{"127.0.0.1:6381"}, Threshold: 2, Timeout: 60000, Pipeline: 10}},
		{"redis-cli --cluster rebalance 127.0.0.1:6381 --cluster-weight a=1 b=2 --cluster-use-empty-masters --cluster-threshold 1.5",
			ClusterTool{Sub: "rebalance", Args: []string{"127.0.0.1:6381"}, Weights: []string{"a=1", "b=2"}, UseEmpty: true, Threshold: 1.5, Timeout: 60000, Pipeline: 10}},
		{"redis-cli --cluster add-node 127.0.0.1:6388 127.0.0.1:6387 --cluster-slave --cluster-master-id abc",
			ClusterTool{Sub: "add-node", Args: []string{"127.0.0.1:6388", "127.0.0.1:6387"}, Slave: true, MasterID: "abc", Threshold: 2, Timeout: 60000, Pipeline: 10}},
		{"sleep 1.5", Sleep{D: 1500 * time.Millisecond}},
		{"sleep 250ms", Sleep{D: 250 * time.Millisecond}},
		{"partition redis-node-1,redis-node-4 | redis-node-2 redis-node-3", Partition{Groups: [][]string{{"redis-node-1", "redis-node-4"}, {"redis-node-2", "redis-node-3"}}}},
		{"heal", Heal{}},
		{"pause 127.0.0.1:6381", Pause{Node: "127.0.0.1:6381"}},
		{"load 1000 zipf 1.1", Load{Keys: 1000, Zipf: 1.1}},
		{"load 1000 size 4096", Load{Keys: 1000, Size: 4096}},
		{"load 1000 size 100 zipf 0.9", Load{Keys: 1000, Zipf: 0.9, Size: 100}},
		{"load hash hash:big 3000000", LoadValue{Kind: "hash", Key: "hash:big", Size: 3000000}},
		{"load list queue 100", LoadValue{Kind: "list", Key: "queue", Size: 100}},
		{"load set tags 10", LoadValue{Kind: "set", Key: "tags", Size: 10}},
		{"load zset scores 1000", LoadValue{Kind: "zset", Key: "scores", Size: 1000}},
		{"load string blob 1048576", LoadValue{Kind: "string", Key: "blob", Size: 1 << 20}},
		{"docker kill redis-node-1 redis-node-2", DockerKill{Names: []string{"redis-node-1", "redis-node-2"}}},
		{"docker run -d --name=n1 -p 7000:7000 redis:7.0 redis-server --port 7000", DockerRun{Name: "n1", Image: "redis:7.0", Port: 7000}},
		{"docker run -d --name n1 redis:7.0", DockerRun{Name: "n1", Image: "redis:7.0", Port: 6379}},
		{"redis-cli --cluster call 127.0.0.1:6381 CLUSTER INFO --cluster-only-masters", ClusterTool{Sub: "call", Args: []string{"127.0.0.1:6381", "CLUSTER", "INFO"}, OnlyMasters: true, Threshold: 2, Timeout: 60000, Pipeline: 10}},
		{"redis-cli --cluster set-timeout 127.0.0.1:6381 5000", ClusterTool{Sub: "set-timeout", Args: []string{"127.0.0.1:6381", "5000"}, Threshold: 2, Timeout: 60000, Pipeline: 10}},
		{"redis-cli --cluster reshard 127.0.0.1:6381 --cluster-from a --cluster-to b --cluster-slots 5 --cluster-replace", ClusterTool{Sub: "reshard", Args: []string{"127.0.0.1:6381"}, From: "a", To: "b", Slots: 5, Replace: true, Threshold: 2, Timeout: 60000, Pipeline: 10}},
		{"after 1s docker stop redis-node-7", After{D: time.Second, Cmd: DockerStop{Names: []string{"redis-node-7"}}, Text: "docker stop redis-node-7"}},
		{"after 250ms partition a | b,c", After{D: 250 * time.Millisecond, Cmd: Partition{Groups: [][]string{{"a"}, {"b", "c"}}}, Text: "partition a | b,c"}},
	} {
		rb, err := Parse(strings.NewReader(tc.line))
		if assert.NoError(t, err, tc.line) && assert.Len(t, rb.Steps, 1, tc.line) {
			assert.Equal(t, tc.want, rb.Steps[0].Cmd, tc.line)
		}
	}
}

// Lines redis-cli itself rejects fail with redis-cli's words; others name what is wrong.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"redis-cli --cluster create 127.0.0.1:6381", "line 1: [ERR] Wrong number of arguments for specified --cluster sub command: redis-cli --cluster create 127.0.0.1:6381"},
		{"redis-cli --cluster add-node 127.0.0.1:6388", "[ERR] Wrong number of arguments for specified --cluster sub command"},
		{"redis-cli --cluster explode 127.0.0.1:6381", "Unknown --cluster subcommand"},
		{"redis-cli --cluster create a:1 b:2 c:3 --cluster-replica 1", "Unrecognized option or bad number of args for: '--cluster-replica'"},
		{"redis-cli --cluster reshard a:1 --cluster-from", "Unrecognized option or bad number of args for: '--cluster-from'"},
		{"redis-cli -p", "Unrecognized option or bad number of args for: '-p'"},
		{"redis-cli --cluster backup a:1 /tmp/backup", "real but not simulated"},
		{"redis-cli --cluster call a:1", "[ERR] Wrong number of arguments for specified --cluster sub command"},
		{"redis-cli --cluster set-timeout a:1", "[ERR] Wrong number of arguments for specified --cluster sub command"},
		{"redis-cli --cluster import a:1 --cluster-from b:2 --cluster-copy", "real but not simulated"},
		{"redis-cli --cluster reshard a:1 --cluster-slots 10", "needs --cluster-from, --cluster-to and --cluster-slots"},
		{"redis-cli -p 6381", "an interactive session cannot be replayed"},
		{"redis-cli -p seventy get k", `-p "seventy" is not a port`},
		{"# fine\n\nsleep forever", `line 3: bad duration "forever"`},
		{"sleep -1s", "negative duration"},
		{"docker run -d redis:7.0", "docker run needs --name"},
		{"docker run -d --name n1 redis:7.0 --port", "redis-server option --port needs a value"},
		{"docker rm n1", `unsupported docker subcommand "rm"`},
		{"partition a,b", "at least two sides"},
		{"partition a | ", "a partition side is empty"},
		{"load -3", "not a positive key count"},
		{"load 10 zipf 0", "must be a positive number"},
		{"load", "load takes a key count, optionally zipf S and size BYTES; or hash KEY FIELDS; or list|set|zset KEY ELEMENTS; or string KEY BYTES"},
		{"load zset big", "load zset takes a key and a count: load zset KEY ELEMENTS"},
		{"load list big 0", `load list: elements "0" must be a whole number from 1 to 100000000`},
		{"load stream s 10", `load: "stream" is not a positive key count`},
		{"load 10 size", "load: size needs a value"},
		{"load 10 size 0", `load: size "0" must be a byte count from 1 to 536870912`},
		{"load 10 size 536870913", `load: size "536870913" must be a byte count from 1 to 536870912`},
		{"load 10 weight 3", `load: unknown option "weight" (want zipf S or size BYTES)`},
		{"load hash big", "load hash takes a key and a count: load hash KEY FIELDS"},
		{"load hash big 1e6", `load hash: fields "1e6" must be a whole number from 1 to 100000000`},
		{"load hash big 100000001", `load hash: fields "100000001" must be a whole number from 1 to 100000000`},
		{"load string blob -1", `load string: bytes "-1" must be a whole number from 1 to 536870912`},
		{"load string blob 1 2", "load string takes a key and a count: load string KEY BYTES"},
		{"redis-cli set 'k", "unterminated ' quote"},
		{"telnet 127.0.0.1 6381", `unknown command "telnet"`},
		{"docker run -d --name n1 \\", "continuation backslash"},
		{"after 1s", "after takes a duration and a command"},
		{"after soon docker stop n1", `bad duration "soon"`},
		{"after 1s redis-cli -p 6381 set k v", `after can schedule docker stop, kill or start, pause, resume, partition or heal, not "redis-cli -p 6381 set k v"`},
		{"after 1s docker rm n1", `unsupported docker subcommand "rm"`},
		{"sleep 2562047h47m16s", `duration "2562047h47m16s": at most 168h0m0s of virtual time`},
		{"after 200h docker stop n1", `duration "200h": at most 168h0m0s of virtual time`},
		{"# a comment\nsleep 1s\nredis-cli -p 6381 set k " + strings.Repeat("v", MaxLine+1), "line 3: a line over the 1048576 bytes a runbook line may have"},
		{"sleep 1s\nredis-cli -p 6381 set k \\\n" + strings.Repeat("v", MaxLine/2) + " \\\n" + strings.Repeat("w", MaxLine/2), "line 2: a line of 1048603 bytes, over the 1048576 a runbook line may have"},
	} {
		_, err := Parse(strings.NewReader(tc.text))
		if assert.Error(t, err, tc.text) {
			assert.Contains(t, err.Error(), tc.want, tc.text)
			var pe *ParseError
			assert.True(t, errors.As(err, &pe), "%s: %T is not a *ParseError", tc.text, err)
		}
	}
}

func TestParseContinuation(t *testing.T) {
	rb, err := Parse(strings.NewReader("# two lines\nredis-cli --cluster create 127.0.0.1:6381 \\\n  127.0.0.1:6382 127.0.0.1:6383\n"))
	require.NoError(t, err)
	require.Len(t, rb.Steps, 1)
	assert.Equal(t, 2, rb.Steps[0].Line)
	assert.Equal(t, []string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383"}, rb.Steps[0].Cmd.(ClusterTool).Args)
}

// Parse never panics, and every error it returns names a line.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("../../experiments/scenario/testdata/seed.txt")
	require.NoError(f, err)
	f.Add(string(seed))
	f.Add("partition a | b\nheal\nload 5 zipf 2")
	f.Add("redis-cli --cluster rebalance h:1 --cluster-weight")
	f.Fuzz(func(t *testing.T, text string) {
		rb, err := Parse(strings.NewReader(text))
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				assert.Positive(t, pe.Line)
			}
			return
		}
		for _, s := range rb.Steps {
			assert.NotNil(t, s.Cmd)
		}
	})
}

// Errors of a runbook read from a file name the file and the line, as compilers do.
func TestParseFileNamesTheFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "bad.txt")
	require.NoError(t, os.WriteFile(name, []byte("sleep 1s\nsleep forever\n"), 0o644))
	_, err := ParseFile(name)
	require.EqualError(t, err, name+`:2: bad duration "forever": want a number of seconds or a duration such as 15s: sleep forever`)
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, name, pe.File)
	_, err = ParseFile(filepath.Join(t.TempDir(), "missing.txt"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
