// Command cmdgen captures Redis's own command metadata (COMMAND INFO and
// COMMAND DOCS, as RESP3 trees) from a running redis-server 7.0 and writes it
// as JSON for the daemon to embed. Redis builds its command table from JSON
// files too; capturing the reference server's answer keeps arity, flags, key
// positions, ACL categories and docs exactly Redis 7.0's.
//
// Usage: go run ./daemon/internal/cmdgen -addr 127.0.0.1:6379 > daemon/commands.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// node is a RESP3 value in a JSON-friendly shape: T is the RESP3 type
// character, S a string payload, N an integer, A the elements (maps flattened).
type node struct {
	T string  `json:"t"`
	S string  `json:"s,omitempty"`
	N int64   `json:"n,omitempty"`
	A []*node `json:"a,omitempty"`
}

func read(r *bufio.Reader) (*node, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	t, rest := line[:1], line[1:]
	switch t {
	case "+", "-":
		return &node{T: t, S: rest}, nil
	case ":":
		n, _ := strconv.ParseInt(rest, 10, 64)
		return &node{T: t, N: n}, nil
	case "_":
		return &node{T: t}, nil
	case "$", "=":
		n, _ := strconv.Atoi(rest)
		buf := make([]byte, n+2)
		if _, err := io(r, buf); err != nil {
			return nil, err
		}
		return &node{T: t, S: string(buf[:n])}, nil
	case "*", "~", "%", ">":
		n, _ := strconv.Atoi(rest)
		if t == "%" {
			n *= 2
		}
		nd := &node{T: t, A: []*node{}}
		for i := 0; i < n; i++ {
			c, err := read(r)
			if err != nil {
				return nil, err
			}
			nd.A = append(nd.A, c)
		}
		return nd, nil
	}
	return nil, fmt.Errorf("unexpected reply type %q", t)
}

func io(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func call(c net.Conn, r *bufio.Reader, args ...string) *node {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		log.Fatal(err)
	}
	n, err := read(r)
	if err != nil {
		log.Fatal(err)
	}
	return n
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "redis-server 7.0 address")
	flag.Parse()
	c, err := net.Dial("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	r := bufio.NewReader(c)
	hello := call(c, r, "HELLO", "3")
	info := call(c, r, "COMMAND", "INFO")
	docs := call(c, r, "COMMAND", "DOCS")
	out := map[string]map[string]*node{}
	for _, e := range info.A {
		out[e.A[0].S] = map[string]*node{"info": e}
	}
	for i := 0; i+1 < len(docs.A); i += 2 {
		name := docs.A[i].S
		if out[name] == nil {
			continue
		}
		out[name]["docs"] = docs.A[i+1]
	}
	version := ""
	for i := 0; i+1 < len(hello.A); i += 2 {
		if hello.A[i].S == "version" {
			version = hello.A[i+1].S
		}
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	enc := json.NewEncoder(os.Stdout)
	fmt.Fprintf(os.Stdout, "{\"version\":%q,\"commands\":{\n", version)
	for i, n := range names {
		b, _ := json.Marshal(out[n])
		_ = enc
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Fprintf(os.Stdout, "%q:%s%s\n", n, b, sep)
	}
	fmt.Fprintln(os.Stdout, "}}")
}
