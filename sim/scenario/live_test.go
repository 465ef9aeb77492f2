package scenario

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/live"
)

// fastSeedRunbook is the seed runbook with a 2 s node timeout and the two long waits cut to
// match, so that a real cluster runs it in about a minute. The waits after create and after
// docker start stay above 5 s: a replica's first sync waits repl-diskless-sync-delay (5 s),
// and an unsynced replica neither fails over nor completes a manual failover, in the
// simulation as in Redis.
func fastSeedRunbook(t *testing.T) string {
	text, err := os.ReadFile(seedRunbook)
	require.NoError(t, err)
	r := strings.NewReplacer("sleep 15s", "sleep 8s", "sleep 40s", "sleep 8s")
	return withNodeTimeout(r.Replace(string(text)), 2000)
}

// The seed runbook, run against real redis-server processes, reaches every fact the
// simulation reaches (checkSeedFacts), and so does the simulation of the same fast runbook.
// The real servers listen on free ports; the runbook is rewritten to use them and the
// transcript rewritten back, so the facts are stated once, in the tutorial's ports.
func TestSeedRunbookLive(t *testing.T) {
	livetest.NeedLong(t)
	t.Parallel() // real time, mostly sleeping: the live runbooks overlap
	text := fastSeedRunbook(t)
	t.Run("sim", func(t *testing.T) { checkSeedFacts(t, runSim(t, parseText(t, text), 1)) })

	transcript := runLiveOnFreePorts(t, text, 8, Options{})
	t.Run("live", func(t *testing.T) {
		checkSeedFacts(t, transcript)
		if t.Failed() {
			t.Log(Abbreviate(transcript))
		}
	})
}

// runLiveOnFreePorts runs a runbook whose nodes listen on consecutive ports (the
// tutorial's 6381.., or any other first port) on real servers listening on nodes free
// ports, with opt and a temporary directory, and returns the transcript in the runbook's
// ports. Runbooks on fixed ports other than 6381.. used to run on those ports as written,
// and two test binaries running one collided ("port 7901 is answered by another
// redis-server").
func runLiveOnFreePorts(t *testing.T, runbook string, nodes int, opt Options) string {
	// opt.Dir, if set, keeps the servers' files (their logs) there for the caller to read.
	t.Helper()
	ports, err := live.FreePorts(nodes)
	require.NoError(t, err)
	there, back := portMapsFrom(firstPort(t, runbook), ports)
	var out bytes.Buffer
	start := time.Now()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	err = RunLive(parseText(t, there(runbook)), &out, opt)
	transcript := back(out.String())
	require.NoError(t, err, transcript)
	t.Logf("live run took %v", time.Since(start).Round(time.Second))
	return transcript
}

// firstPort is the lowest port a docker run line of runbook gives its node; 6381 if
// none does.
func firstPort(t *testing.T, runbook string) int {
	t.Helper()
	first := 0
	for _, m := range regexp.MustCompile(`(?m)^docker run .*--port (\d+)`).FindAllStringSubmatch(runbook, -1) {
		p, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		if first == 0 || p < first {
			first = p
		}
	}
	if first == 0 {
		return 6381
	}
	return first
}

// portMaps returns functions rewriting the tutorial's ports 6381.. to ports and back
// (portMapsFrom).
func portMaps(ports []int) (there, back func(string) string) { return portMapsFrom(6381, ports) }

// portMapsFrom returns functions rewriting the ports first, first+1, … to ports and back,
// in every spelling a runbook or transcript uses: HOST:PORT, HOST PORT (MIGRATE's),
// @BUSPORT, -p PORT, --port PORT, and ROLE's: a replica's "(integer) PORT", a master's
// replicas' "PORT".
func portMapsFrom(first int, ports []int) (there, back func(string) string) {
	var to, from []string
	for i, p := range ports {
		tp := first + i
		for _, f := range []string{"127.0.0.1:%d", "127.0.0.1 %d", "@%d", "-p %d", "--port %d", "(integer) %d", `"%d"`} {
			a, b := fmt.Sprintf(f, tp), fmt.Sprintf(f, p)
			if f == "@%d" {
				a, b = fmt.Sprintf(f, tp+10000), fmt.Sprintf(f, p+10000)
			}
			to = append(to, a, b)
			from = append(from, b, a)
		}
	}
	word := func(pairs []string) func(string) string {
		m := map[string]string{}
		var alts []string
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i]] = pairs[i+1]
			// A port ends at a word boundary; a quoted one at its quote.
			alt := regexp.QuoteMeta(pairs[i])
			if !strings.HasSuffix(pairs[i], `"`) {
				alt += `\b`
			}
			alts = append(alts, alt)
		}
		re := regexp.MustCompile(strings.Join(alts, "|"))
		// partition lines name nodes by bare port: `partition 6381 | 6382,6383`.
		bare := regexp.MustCompile(`\b\d+\b`)
		partition := regexp.MustCompile(`(?m)^(?:\$ )?(?:after \S+ )?partition .*$`)
		return func(s string) string {
			s = re.ReplaceAllStringFunc(s, func(w string) string { return m[w] })
			return partition.ReplaceAllStringFunc(s, func(line string) string {
				return bare.ReplaceAllStringFunc(line, func(w string) string {
					if to, ok := m["-p "+w]; ok {
						return strings.TrimPrefix(to, "-p ")
					}
					return w
				})
			})
		}
	}
	return word(to), word(from)
}

// A live redis-cli that does not return within cliLimit is killed, and its output says so
// (WAIT for a replica a master does not have waits forever, as add-node can).
func TestLiveCLILimit(t *testing.T) {
	livetest.Need(t)
	ports, err := live.FreePorts(1)
	require.NoError(t, err)
	srv := &live.Server{Port: ports[0], Dir: t.TempDir()}
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Kill() })
	was := cliLimit
	cliLimit = 300 * time.Millisecond
	t.Cleanup(func() { cliLimit = was })
	out := cli("", "-p", strconv.Itoa(ports[0]), "WAIT", "1", "0")
	assert.Equal(t, "(redis-cli was still running after 300ms and was killed)\n", out)
	assert.Contains(t, cli("", "-p", strconv.Itoa(ports[0]), "PING"), "PONG", "a command that returns is left alone")
}
