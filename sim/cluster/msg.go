package cluster

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/slot"
)

// msgType is a cluster bus message type (CLUSTERMSG_TYPE_* in cluster.h), in Redis's order,
// which CLUSTER INFO follows when it prints its statistics.
type msgType uint8

const (
	mPing msgType = iota
	mPong
	mMeet
	mFail
	mPublish
	mAuthReq
	mAuthAck
	mUpdate
	mMFStart
	mModule
	mPublishShard
	mCount
)

var msgTypeNames = [mCount]string{"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"}

func (t msgType) String() string { return msgTypeNames[t] }

// Sizes on the wire, for bandwidth and statistics: sizeof(clusterMsg) minus its data union,
// and one gossip entry (cluster.h, Redis 7.0).
const (
	headerSize = 2256
	gossipSize = 104
)

// A claim is the set of slots a master announces, with its Zobrist hash (the XOR of a
// random word per slot) so receivers can tell in O(1) whether it differs from what they
// believe. Claims are immutable and shared between messages.
type claim struct {
	set  slot.Set
	hash uint64
}

// A gossipEntry is what a packet says about a third node (clusterMsgDataGossip).
//
// An entry holds no pointer (the address is interned in the Registry), so the gossip
// sections, the simulator's largest allocation at 1000 nodes, are never scanned by the
// garbage collector.
type gossipEntry struct {
	nid      int32
	pingSent uint32 // seconds
	pongRecv uint32 // seconds
	ip       int32  // Registry.ipID
	port     uint16
	cport    uint16
	flags    uint16
}

// A packet is one cluster bus message. The header fields are those of clusterMsg; conn
// and reply say which TCP connection it travels on.
type packet struct {
	typ          msgType
	sender       int32 // nid
	claim        *claim
	slaveof      int32 // nid, or -1
	flags        uint16
	state        uint8
	currentEpoch uint64
	configEpoch  uint64
	offset       int64
	paused       bool // CLUSTERMSG_FLAG0_PAUSED: a master in manual failover
	forceAck     bool // CLUSTERMSG_FLAG0_FORCEACK: vote although the master is up
	port, cport  int
	gossip       []gossipEntry

	about       int32  // FAIL and UPDATE: the node the message is about
	aboutEpoch  uint64 // UPDATE: its configEpoch
	aboutClaims *claim // UPDATE: its slots

	conn  uint64 // the connection: an epoch of the dialling node's outbound link
	reply bool   // true when sent back on the receiver's own outbound link
}

func (p *packet) String() string {
	if p.typ == mFail || p.typ == mUpdate {
		return fmt.Sprintf("%s about #%d", p.typ, p.about)
	}
	return fmt.Sprintf("%s gossip=%d epoch=%d/%d", p.typ, len(p.gossip), p.currentEpoch, p.configEpoch)
}

// Conn names the TCP connection a packet travels on, for the engine's retransmission.
func (p *packet) Conn() uint64 {
	if p.reply {
		return p.conn<<1 | 1
	}
	return p.conn << 1
}

func (p *packet) size() int { return headerSize + gossipSize*len(p.gossip) }

// dial opens a TCP connection to a node's cluster bus; the listener answers dialAck. It
// is sent with Dial: a dead process bounces it, one being torn down accepts it.
type dial struct{ epoch uint64 }

type dialAck struct{ epoch uint64 }

// Conn: the accept travels back on the connection being opened, as the listener's
// replies on it do.
func (d dialAck) Conn() uint64 { return d.epoch<<1 | 1 }

func (d dial) String() string    { return fmt.Sprintf("connect #%d", d.epoch) }
func (d dialAck) String() string { return fmt.Sprintf("accept #%d", d.epoch) }

// ReplyKind says what a Reply holds.
type ReplyKind uint8

// Reply kinds, as RESP2 has them.
const (
	Status ReplyKind = iota + 1
	Error
	Integer
	Bulk
	Nil
	Array
)

// A Reply is a RESP2 reply from a node.
type Reply struct {
	Kind  ReplyKind
	Str   string
	Int   int64
	Array []Reply
}

func okReply() Reply                  { return Reply{Kind: Status, Str: "OK"} }
func statusReply(s string) Reply      { return Reply{Kind: Status, Str: s} }
func errReply(s string) Reply         { return Reply{Kind: Error, Str: s} }
func intReply(n int64) Reply          { return Reply{Kind: Integer, Int: n} }
func bulkReply(s string) Reply        { return Reply{Kind: Bulk, Str: s} }
func nilReply() Reply                 { return Reply{Kind: Nil} }
func arrayReply(xs ...Reply) Reply    { return Reply{Kind: Array, Array: xs} }
func errorf(f string, a ...any) Reply { return errReply(fmt.Sprintf(f, a...)) }

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Kind == Error }

// Raw prints r as redis-cli's raw output does (cliFormatReplyRaw): strings as they are,
// an error's text and a newline, integers in decimal, nothing for nil, and an array's
// elements one per line.
func (r Reply) Raw() string {
	switch r.Kind {
	case Error:
		return r.Str + "\n"
	case Integer:
		return strconv.FormatInt(r.Int, 10)
	case Nil:
		return ""
	case Array:
		parts := make([]string, len(r.Array))
		for i, x := range r.Array {
			parts[i] = x.Raw()
		}
		return strings.Join(parts, "\n")
	}
	return r.Str
}

// String prints r the way redis-cli prints replies at a terminal: OK, (error) MOVED ...,
// (integer) 1, "v1", (nil), and numbered lines for arrays.
func (r Reply) String() string {
	var b strings.Builder
	r.format(&b, "")
	return strings.TrimSuffix(b.String(), "\n")
}

func (r Reply) format(b *strings.Builder, indent string) {
	switch r.Kind {
	case Status:
		b.WriteString(r.Str + "\n")
	case Error:
		b.WriteString("(error) " + r.Str + "\n")
	case Integer:
		fmt.Fprintf(b, "(integer) %d\n", r.Int)
	case Bulk:
		b.WriteString(quote(r.Str) + "\n")
	case Nil:
		b.WriteString("(nil)\n")
	case Array:
		if len(r.Array) == 0 {
			b.WriteString("(empty array)\n")
			return
		}
		width := len(fmt.Sprint(len(r.Array)))
		for i, x := range r.Array {
			prefix := fmt.Sprintf("%*d) ", width, i+1)
			if i > 0 {
				b.WriteString(indent)
			}
			b.WriteString(prefix)
			x.format(b, indent+strings.Repeat(" ", len(prefix)))
		}
	}
}

// quote prints a bulk string as redis-cli does: in double quotes, with non-printable
// bytes escaped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// A Request is a command sent to a node by a client. Asking sends ASKING first, as
// redis-cli -c does after an ASK redirect.
type Request struct {
	ID     uint64
	Args   []string
	Asking bool
	// ReadOnly says the connection it came on is in READONLY mode: a replica serves reads
	// of its master's slots instead of redirecting them.
	ReadOnly bool
	// vals are the values a MIGRATE's RESTORE-ASKING carries, one per key in Args.
	vals []value
}

// A Response answers the Request with the same ID.
type Response struct {
	ID    uint64
	Reply Reply
}

func (r Request) String() string  { return strings.Join(r.Args, " ") }
func (r Response) String() string { return r.Reply.String() }
