package hub

import (
	"bytes"
	"net"
	"testing"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes [][]byte
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *countingConn) Close() error { return nil }

func TestABatchOfFramesGoesOutInOneWrite(t *testing.T) {
	raw := &countingConn{}
	c := &batchConn{Conn: raw}
	c.Write([]byte("alone")) // not holding: straight through
	c.hold()
	for _, f := range []string{"one", "two", "three"} {
		c.Write([]byte(f))
	}
	if len(raw.writes) != 1 {
		t.Fatalf("%d writes while holding, want only the first", len(raw.writes))
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	if len(raw.writes) != 2 || !bytes.Equal(raw.writes[1], []byte("onetwothree")) {
		t.Fatalf("writes %q, want the batch in one", raw.writes)
	}
	if c.held != nil {
		t.Error("the connection keeps a buffer after the batch")
	}
	c.hold()
	c.Write([]byte("cut short"))
	c.drop()
	if len(raw.writes) != 2 {
		t.Errorf("a dropped connection sent %q", raw.writes[2:])
	}
}
