package live

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// An Error is an error reply from Redis, such as "MOVED 12706 127.0.0.1:6383".
type Error string

func (e Error) Error() string { return string(e) }

// A Conn is one RESP2 connection to a Redis server. Replies are decoded as: simple strings
// as string, errors as Error (returned as the reply, not as the error), integers as int64,
// bulk strings as string (nil when absent), arrays as []any (nil when absent).
type Conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
	// Timeout bounds each Do or Pipeline, replies included; 0 means 30 s.
	Timeout time.Duration
}

// Dial connects to addr ("127.0.0.1:6381").
func Dial(addr string, timeout time.Duration) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Do sends one command and returns its reply. The error is for I/O and protocol
// failures; a Redis error reply comes back as an Error value.
func (c *Conn) Do(args ...string) (any, error) {
	replies, err := c.Pipeline([][]string{args})
	if err != nil {
		return nil, err
	}
	return replies[0], nil
}

// Pipeline sends every command before reading any reply.
func (c *Conn) Pipeline(cmds [][]string) ([]any, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := c.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	for _, args := range cmds {
		fmt.Fprintf(c.w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	replies := make([]any, len(cmds))
	for i := range cmds {
		r, err := c.read()
		if err != nil {
			return nil, err
		}
		replies[i] = r
	}
	return replies, nil
}

func (c *Conn) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("live: malformed reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return body, nil
	case '-':
		return Error(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return nil, fmt.Errorf("live: malformed bulk length %q", body)
		}
		if n == -1 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return nil, fmt.Errorf("live: malformed array length %q", body)
		}
		if n == -1 {
			return nil, nil
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return arr, nil
	}
	return nil, fmt.Errorf("live: unknown reply type %q", kind)
}

// String returns reply as a string, or an error if it is an error reply or not a string.
func String(reply any, err error) (string, error) {
	if err != nil {
		return "", err
	}
	switch r := reply.(type) {
	case string:
		return r, nil
	case Error:
		return "", r
	}
	return "", fmt.Errorf("live: reply %v is not a string", reply)
}

// Int returns reply as an integer, or an error if it is not one.
func Int(reply any, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	switch r := reply.(type) {
	case int64:
		return r, nil
	case Error:
		return 0, r
	}
	return 0, errors.New("live: reply is not an integer")
}

// ClusterNodes returns the CLUSTER NODES reply of the node at addr, as redis-cli -h HOST
// -p PORT cluster nodes prints it.
func ClusterNodes(addr string) (string, error) {
	c, err := Dial(addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return String(c.Do("CLUSTER", "NODES"))
}
