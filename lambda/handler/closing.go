package handler

import (
	"sync"
	"time"
)

// closing remembers the connections this container closed, for closingFor: frames of a closed
// connection keep arriving until API Gateway acts on the close, and each would otherwise be
// counted, answered and closed again. It is memory only (another container still answers such
// a frame; the guard charges a probing close once anyway), and bounded.
type closing struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

// closingFor is how long a closed connection's frames are dropped: API Gateway acts on a close
// within a second or two; a close that failed lets the connection be served again after it.
const closingFor = time.Minute

// maxClosing bounds the memory: past it, the entries that lapsed are dropped, then the rest.
const maxClosing = 4096

func (c *closing) add(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]time.Time{}
	}
	if len(c.ids) >= maxClosing {
		for k, at := range c.ids {
			if now.Sub(at) >= closingFor {
				delete(c.ids, k)
			}
		}
		if len(c.ids) >= maxClosing {
			clear(c.ids)
		}
	}
	c.ids[id] = now
}

func (c *closing) has(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.ids[id]
	if ok && now.Sub(at) >= closingFor {
		delete(c.ids, id)
		return false
	}
	return ok
}
