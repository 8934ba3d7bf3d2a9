package localgw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// closing is why the gateway closed a connection: the code and reason the client receives and
// $disconnect reports.
type closing struct {
	code   websocket.StatusCode
	reason string
}

var (
	closeIdle     = closing{websocket.StatusGoingAway, "Idle timeout"}
	closeTooOld   = closing{websocket.StatusGoingAway, "Connection duration limit reached"}
	closeShutdown = closing{websocket.StatusGoingAway, "Gateway shutting down"}
	closeDeleted  = closing{websocket.StatusNormalClosure, "Connection Closed Normally"}
	closeFrame    = closing{websocket.StatusMessageTooBig, "Frame size limit exceeded"}
	closeMessage  = closing{websocket.StatusMessageTooBig, "Message size limit exceeded"}
	closeBinary   = closing{websocket.StatusUnsupportedData, "Binary frames are not supported"}
	// closeVanished is for a client that stopped answering: nothing is sent, as to a dead peer.
	closeVanished = closing{websocket.StatusAbnormalClosure, "Client stopped answering pings"}
	// closeKilled is the gateway's Region failing (Kill): the socket just drops.
	closeKilled = closing{websocket.StatusAbnormalClosure, "The Region failed"}
)

// conn is one accepted WebSocket connection.
type conn struct {
	g           *Gateway
	id          string
	ws          *websocket.Conn // set once the upgrade is done: wait for ready
	watch       *frameWatch
	client      client
	connectedAt time.Time
	lastActive  atomic.Int64 // unix nanoseconds of the last message either way

	// ready is closed once ws is set (the upgrade is done) or the upgrade failed (ws is nil).
	ready chan struct{}

	mu        sync.Mutex
	closed    *closing      // why it ended or the gateway closed it; nil while open
	handshake chan struct{} // closed when the gateway's own close has finished; nil if none
	ended     chan struct{} // closed when the read loop has returned
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// serveWebSocket runs one connection from the upgrade request to its $disconnect.
func (g *Gateway) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "This is a WebSocket endpoint: connect with a WebSocket client.", http.StatusUpgradeRequired)
		return
	}
	if !g.start() {
		http.Error(w, "The gateway is shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer g.serving.Done()

	start := time.Now()
	id := newID()
	var subprotocols []string
	if !g.limit.allow(catalog.Connect) {
		g.log.Info("connect throttled", "conn", id, "ip", clientOf(r).sourceIP, "status", http.StatusTooManyRequests)
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
		return
	}
	if _, ok := g.routes[catalog.Connect]; ok {
		resp, fn, err := g.invoke(catalog.Connect, g.connectEvent(r, id, start))
		status := resp.StatusCode
		if status == 0 {
			status = http.StatusOK // a handler that sets no status accepts, as on API Gateway
		}
		if err != nil || status < 200 || status > 599 {
			status = http.StatusInternalServerError
		}
		attrs := []any{"conn", id, "fn", fn, "ip", clientOf(r).sourceIP, "status", status, "duration", since(start)}
		if err != nil {
			g.log.Error("connect failed", append(attrs, "error", err.Error())...)
		}
		if status/100 != 2 {
			if err == nil {
				g.log.Info("connect refused", attrs...)
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		g.log.Info("connect", attrs...)
		// As on API Gateway, a subprotocol is agreed only when $connect answers with one.
		for k, v := range resp.Headers {
			if strings.EqualFold(k, "Sec-WebSocket-Protocol") && v != "" {
				subprotocols = []string{v}
			}
		}
	} else {
		g.log.Info("connect", "conn", id, "ip", clientOf(r).sourceIP, "status", http.StatusOK)
	}

	// The connection is registered before the upgrade completes: once the client sees it
	// open, a post to it (from a handler serving another connection) must find it.
	c := &conn{g: g, id: id, client: clientOf(r), connectedAt: start, ready: make(chan struct{}), ended: make(chan struct{})}
	c.touch()
	if !g.register(c) {
		http.Error(w, "The gateway is shutting down.", http.StatusServiceUnavailable)
		g.disconnect(c, closeShutdown)
		return
	}
	hw := &hijackWatch{ResponseWriter: w, limit: g.limits.FrameBytes}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		// Origins are the $connect handler's business (ALLOWED_ORIGINS), as on API Gateway,
		// which checks none itself.
		InsecureSkipVerify: true,
		Subprotocols:       subprotocols,
	})
	if err != nil {
		g.log.Warn("upgrade failed after $connect accepted", "conn", id, "error", err.Error())
		why := c.endedBy(err)
		close(c.ready)
		g.unregister(id)
		g.disconnect(c, why)
		return
	}
	ws.SetReadLimit(g.limits.MessageBytes)
	c.ws, c.watch = ws, hw.watch
	close(c.ready)
	go c.watchdog()
	why := c.readLoop()
	close(c.ended)
	g.unregister(id)
	c.mu.Lock()
	handshake := c.handshake
	c.mu.Unlock()
	if handshake != nil {
		<-handshake // the gateway's close frame reaches the client before the TCP close
	} else {
		ws.CloseNow()
	}
	g.disconnect(c, why)
}

// readLoop reads messages until the connection ends, and returns why it ended.
func (c *conn) readLoop() closing {
	var buf bytes.Buffer
	chunk := make([]byte, 4096)
	for msg := int64(1); ; msg++ {
		typ, r, err := c.ws.Reader(c.g.ctx)
		if err != nil {
			return c.endedBy(err)
		}
		if typ == websocket.MessageBinary {
			c.closeWith(closeBinary)
			return c.endedBy(nil)
		}
		buf.Reset()
		for {
			n, err := r.Read(chunk)
			buf.Write(chunk[:n])
			if c.watch.oversized(msg) {
				c.closeWith(closeFrame)
				return c.endedBy(nil)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, websocket.ErrMessageTooBig) {
				// The library has sent the close frame (1009); the handshake is finished below.
				c.closeWith(closeMessage)
				return c.endedBy(nil)
			}
			if err != nil {
				return c.endedBy(err)
			}
		}
		c.touch()
		c.dispatch(buf.String())
	}
}

// endedBy settles why the connection ended: the gateway's own reason when it closed it, the
// client's close code when it sent one, 1006 otherwise.
func (c *conn) endedBy(err error) closing {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed != nil {
		return *c.closed
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		c.closed = &closing{ce.Code, ce.Reason}
	} else {
		c.closed = &closing{websocket.StatusAbnormalClosure, ""}
	}
	return *c.closed
}

// closeWith closes the connection for reason why, once: later posts answer 410 at once, and
// the close handshake runs in the background.
func (c *conn) closeWith(why closing) {
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return
	}
	c.closed = &why
	done := make(chan struct{})
	c.handshake = done
	c.mu.Unlock()
	c.g.unregister(c.id)
	go func() {
		defer close(done)
		<-c.ready
		if c.ws == nil {
			return
		}
		if why.code == websocket.StatusAbnormalClosure {
			c.ws.CloseNow()
			return
		}
		c.ws.Close(why.code, why.reason)
	}()
}

// isClosing reports whether the connection is closed or closing.
func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed != nil
}

// watchdog enforces the idle timeout and the maximum duration, and pings the client so that
// one that vanished without a TCP close is noticed.
func (c *conn) watchdog() {
	l := c.g.limits
	tooOld := time.NewTimer(l.MaxDuration)
	defer tooOld.Stop()
	idle := time.NewTimer(l.IdleTimeout)
	defer idle.Stop()
	ping := time.NewTicker(l.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.ended:
			return
		case <-tooOld.C:
			c.closeWith(closeTooOld)
			return
		case <-idle.C:
			quiet := time.Since(time.Unix(0, c.lastActive.Load()))
			if quiet >= l.IdleTimeout {
				c.closeWith(closeIdle)
				return
			}
			idle.Reset(l.IdleTimeout - quiet)
		case <-ping.C:
			ctx, cancel := context.WithTimeout(c.g.ctx, l.PingInterval)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil && !c.isClosing() {
				c.closeWith(closeVanished)
				return
			}
		}
	}
}

// dispatch invokes the route a message selects, on its own goroutine.
func (c *conn) dispatch(body string) {
	g := c.g
	g.invoking.Add(1)
	go func() {
		defer g.invoking.Done()
		start := time.Now()
		route := g.selectRoute(body)
		if route == "" {
			g.log.Info("route", "conn", c.id, "route", "(none)", "status", http.StatusForbidden, "bytes", len(body))
			c.sendGatewayMessage("Forbidden", newID())
			return
		}
		if !g.limit.allow(route) {
			g.log.Info("route throttled", "conn", c.id, "route", route, "status", http.StatusTooManyRequests, "bytes", len(body))
			c.sendGatewayMessage("Too Many Requests", newID())
			return
		}
		ev := g.messageEvent(c, route, body, start)
		resp, fn, err := g.invoke(route, ev)
		attrs := []any{"conn", c.id, "route", route, "fn", fn, "bytes", len(body), "duration", since(start)}
		if err != nil {
			g.log.Error("route failed", append(attrs, "error", err.Error())...)
			// API Gateway tells the client that the integration failed.
			c.sendGatewayMessage("Internal server error", ev.RequestContext.RequestID)
			return
		}
		g.log.Info("route", append(attrs, "status", resp.StatusCode)...)
	}()
}

// sendGatewayMessage sends the JSON message API Gateway itself sends a client when a message
// cannot be handled.
func (c *conn) sendGatewayMessage(message, requestID string) {
	b, err := json.Marshal(map[string]string{"message": message, "connectionId": c.id, "requestId": requestID})
	if err != nil {
		c.g.log.Error("encoding a gateway message", "error", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(c.g.ctx, 5*time.Second)
	defer cancel()
	if err := c.send(ctx, b); err != nil {
		c.g.log.Warn("sending a gateway message", "conn", c.id, "error", err.Error())
	}
}

// errGone means the connection is closed or closing.
var errGone = errors.New("connection gone")

// send writes data to the client as one message (text when it is UTF-8, binary otherwise), in
// frames of at most the frame limit, as API Gateway splits them.
func (c *conn) send(ctx context.Context, data []byte) error {
	select {
	case <-c.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.ws == nil || c.isClosing() {
		return errGone
	}
	typ := websocket.MessageText
	if !utf8.Valid(data) {
		typ = websocket.MessageBinary
	}
	c.touch()
	frame := int(c.g.limits.FrameBytes)
	if len(data) <= frame {
		return c.ws.Write(ctx, typ, data)
	}
	w, err := c.ws.Writer(ctx, typ)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n := min(frame, len(data))
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return w.Close()
}

// disconnect invokes $disconnect for a connection that has ended.
func (g *Gateway) disconnect(c *conn, why closing) {
	start := time.Now()
	attrs := []any{"conn", c.id, "code", int(why.code), "reason", why.reason, "connectedFor", time.Since(c.connectedAt).Round(time.Millisecond)}
	if g.isKilled() { // the Region's functions failed with it: nobody runs $disconnect
		g.log.Info("disconnect lost with the Region", attrs...)
		return
	}
	if _, ok := g.routes[catalog.Disconnect]; !ok {
		g.log.Info("disconnect", attrs...)
		return
	}
	resp, fn, err := g.invoke(catalog.Disconnect, g.disconnectEvent(c, int(why.code), why.reason, start))
	attrs = append(attrs, "fn", fn, "duration", since(start))
	if err != nil {
		g.log.Error("disconnect failed", append(attrs, "error", err.Error())...)
		return
	}
	g.log.Info("disconnect", append(attrs, "status", resp.StatusCode)...)
}
