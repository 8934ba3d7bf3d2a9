// Package handler turns API Gateway WebSocket events into service calls: one method per Lambda
// function (catalog.FnConnect, FnDisconnect, FnGame), each writing one structured log line per
// invocation. A client's mistake never fails an invocation: it becomes an error frame to that
// client, and the Lambda answers 200.
package handler

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/hops"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
	"github.com/serverless-tictactoe/tictactoe/lambda/service"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
)

// Func is a Lambda handler for WebSocket events: what lambda.Start runs on AWS and what the
// local gateway calls in-process.
type Func func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)

// Handler serves the routes.
type Handler struct {
	svc     *service.Service // nil for the connect function, which sends no frame
	log     *slog.Logger
	limiter *ratelimit.Limiter
	strikes *ratelimit.Limiter
	guard   *guard.Guard
	frames  FrameLimit
	closing closing
	origins []string
	edge    []string
	region  string
	now     func() time.Time
	timings Timings
	tracer  *xray.Tracer
}

// Options configures a Handler.
type Options struct {
	Service *service.Service
	Logger  *slog.Logger
	// Limiter bounds each connection's frames; nil means no limit.
	Limiter *ratelimit.Limiter
	// Strikes counts each connection's frames past Limiter: when it refuses too, the
	// connection is closed. Nil: a flooding connection is only answered rate_limited.
	Strikes *ratelimit.Limiter
	// Frames bounds each connection's frames across every container, in its record: every
	// frame but a move that is played costs one write. Zero: no shared bound (the per-container
	// Limiter alone).
	Frames FrameLimit
	// Guard keeps the ceiling per source address: probing is charged to it, and past its
	// budget its connections are on probation (one room_not_found answer each). Nil: none.
	Guard *guard.Guard
	// AllowedOrigins are the Origin headers $connect accepts; empty accepts any.
	AllowedOrigins []string
	// EdgeSecrets are what the distributions add to every connection they pass on
	// (config.EdgeSecrets): when set, $connect refuses connections without one of them and,
	// if AllowedOrigins is empty, pages not served from the host the player connected to.
	EdgeSecrets []string
	// Region is this function's Region in a multi-Region deployment, unless it is the primary:
	// connection ids are qualified with it (region.Qualify), so that any Region's functions
	// know which Region's @connections API holds a connection; an unqualified id is the
	// primary's. "" in one Region and in the primary.
	Region string
	// Now is the clock for durations in logs. Default: time.Now.
	Now func() time.Time
	// Timings receives each served action's per-hop timings (lambda/hops: the SDK clients
	// must carry hops.Timing for the hops to be counted). Nil: none.
	Timings Timings
	// Tracer traces a sample of the disconnect and game functions' invocations in X-Ray (the
	// SDK clients must carry xray.Record for their calls to be in the traces). Nil: none.
	Tracer *xray.Tracer
}

// Timings records one served client action's timings, and a page's report of its last move's
// round trip (metrics.EMF).
type Timings interface {
	Action(ctx context.Context, action, room string, t metrics.Timing)
	RoundTrip(ctx context.Context, room string, d time.Duration)
}

// New returns a Handler.
func New(o Options) *Handler {
	h := &Handler{svc: o.Service, log: o.Logger, limiter: o.Limiter, strikes: o.Strikes, guard: o.Guard, frames: o.Frames,
		origins: o.AllowedOrigins, edge: o.EdgeSecrets, region: o.Region, now: o.Now, timings: o.Timings, tracer: o.Tracer}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// time records a served action's timings, its answer included: in all since the frame arrived
// (began, by the real clock, as the hops are), and hop by hop.
func (h *Handler) time(ctx context.Context, req protocol.Request, began time.Time, hop *hops.Hops) {
	if h.timings == nil {
		return
	}
	if req.RTT > 0 {
		h.timings.RoundTrip(ctx, req.RoomCode, req.RTT)
	}
	s := hop.Sums()
	h.timings.Action(ctx, req.Action, req.RoomCode, metrics.Timing{Total: time.Since(began),
		Read: s.Read, Write: s.Write, PostMax: s.PostMax, Reads: s.Reads, Writes: s.Writes, Posts: s.Posts})
}

// For returns the Func of a function name in routes.
func (h *Handler) For(function string) (Func, error) {
	switch function {
	case catalog.FnConnect:
		return h.Connect, nil
	case catalog.FnDisconnect:
		return h.Disconnect, nil
	case catalog.FnGame:
		return h.Game, nil
	}
	return nil, errors.New("no function named " + function)
}

var ok = events.APIGatewayProxyResponse{StatusCode: http.StatusOK}

// Connect serves $connect: it accepts the connection unless the browser's Origin is refused
// (a non-2xx answer refuses the upgrade). Behind the distribution (an edge secret is set), a
// connection must carry the secret, and its page must come from the host the player connected
// to; an allow-list of origins, when configured, replaces that same-site rule.
func (h *Handler) Connect(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := h.now()
	origin := header(ev.Headers, "Origin")
	if len(h.edge) > 0 && !h.throughEdge(header(ev.Headers, config.EdgeSecretHeader)) {
		h.logLine(ctx, ev, start, "", "refused", "not_through_edge", slog.String("origin", origin))
		return events.APIGatewayProxyResponse{StatusCode: http.StatusForbidden}, nil
	}
	allowed := true
	switch {
	case len(h.origins) > 0:
		allowed = slices.Contains(h.origins, strings.ToLower(strings.TrimRight(origin, "/")))
	case len(h.edge) > 0:
		host := strings.ToLower(header(ev.Headers, config.ViewerHostHeader))
		allowed = host != "" && strings.ToLower(strings.TrimRight(origin, "/")) == "https://"+host
	}
	if !allowed {
		h.logLine(ctx, ev, start, "", "refused", "origin_not_allowed", slog.String("origin", origin))
		return events.APIGatewayProxyResponse{StatusCode: http.StatusForbidden}, nil
	}
	if h.guard != nil {
		source := ""
		if ip, ok := h.sourceIP(ev); ok {
			source = h.guard.SourceKey(ip)
		} else {
			h.log.WarnContext(ctx, "no viewer address from the distribution: the connection is not counted per address", "connectionId", h.connID(ev))
		}
		probation, err := h.guard.Admit(ctx, source, h.connID(ev))
		var admitted *guard.AdmittedError
		switch {
		case probation:
			// Its address probed too much of late: it plays, but guesses one code at most.
			h.logLine(ctx, ev, start, "", "ok", "", slog.Bool("probation", true))
			return ok, nil
		case errors.As(err, &admitted):
			h.log.WarnContext(ctx, "admitted without the address's check", "connectionId", h.connID(ev), "error", err.Error())
		case err != nil:
			h.logLine(ctx, ev, start, "", "server_error", string(apperr.Internal), slog.String("error", err.Error()))
			return events.APIGatewayProxyResponse{StatusCode: http.StatusInternalServerError}, nil
		}
	}
	h.logLine(ctx, ev, start, "", "ok", "")
	return ok, nil
}

// throughEdge reports whether got is one of the edge secrets, comparing each in constant time.
func (h *Handler) throughEdge(got string) bool {
	found := false
	for _, s := range h.edge {
		if subtle.ConstantTimeCompare([]byte(got), []byte(s)) == 1 {
			found = true
		}
	}
	return found
}

// sourceIP is the player's address: the distribution's word for it behind the distribution
// (the connection proved it came through with the edge secret; API Gateway sees CloudFront's
// address), else the address API Gateway saw. Behind the distribution without that word (a
// distribution whose function predates it, mid-deploy) there is no player's address: counting
// CloudFront's would make every player behind one edge address share one address's share.
func (h *Handler) sourceIP(ev events.APIGatewayWebsocketProxyRequest) (string, bool) {
	if len(h.edge) > 0 {
		ip := header(ev.Headers, config.ViewerAddressHeader)
		return ip, ip != ""
	}
	return ev.RequestContext.Identity.SourceIP, true
}

// connID is the connection of ev as the game knows it: qualified with this Region.
func (h *Handler) connID(ev events.APIGatewayWebsocketProxyRequest) string {
	return region.Qualify(h.region, ev.RequestContext.ConnectionID)
}

// Disconnect serves $disconnect: the player shows offline and the room is told.
func (h *Handler) Disconnect(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := h.now()
	ctx, tr := h.tracer.Start(ctx, xray.HeaderOf(ctx)) // sent as it returns; logLine says how it went
	defer tr.End()
	rec, err := h.svc.Disconnected(ctx, h.connID(ev))
	room := rec.RoomCode
	attrs := []slog.Attr{}
	if ev.RequestContext.DisconnectStatusCode != 0 {
		attrs = append(attrs, slog.Int("closeCode", int(ev.RequestContext.DisconnectStatusCode)))
	}
	if err != nil {
		// Returned so the invocation shows as failed: $disconnect has no client to tell.
		h.logLine(ctx, ev, start, room, "server_error", string(apperr.Internal), append(attrs, slog.String("error", err.Error()))...)
		return ok, err
	}
	h.logLine(ctx, ev, start, room, "ok", "", attrs...)
	return ok, nil
}

// Game serves every client action and $default.
func (h *Handler) Game(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	start, began := h.now(), time.Now()
	ctx, hop := hops.Start(ctx) // the frame's count, the action and its answer, hop by hop
	ctx, tr := h.tracer.Start(ctx, xray.HeaderOf(ctx))
	defer tr.End()
	// Games that end are recorded once the frame is answered and timed (deferred calls run
	// last first): the frame that ends a game waits for no player's profile.
	ctx = service.Deferring(ctx)
	defer h.svc.RecordDeferred(ctx)
	connID := h.connID(ev)
	var req protocol.Request
	var err error
	served := false
	defer func() {
		if served {
			h.time(ctx, req, began, hop)
		}
	}()
	if h.closing.has(connID, start) {
		// Closed already: its frames still in flight cost nothing more.
		h.logLine(ctx, ev, start, "", "closed", "", slog.String("action", catalog.ActionOf(ev.Body)))
		return ok, nil
	}
	if h.limiter.Allow(connID) {
		req, err = protocol.Decode(ev.RequestContext.RouteKey, ev.Body)
		// Every frame is counted across containers before it is served, but a move: a move
		// played against a person at a person's speed costs its floor (turns bound how many a
		// connection plays); one that is refused, or played against the computer or at once
		// (a bot answering a bot: nothing but the limit bounds them), is counted after.
		if err != nil || req.Action != catalog.Move {
			switch h.chargeFrame(ctx, connID, start) {
			case framesClose:
				return h.closeConnection(ctx, ev, start, req, string(apperr.RateLimited), false)
			case framesOver:
				if err == nil {
					err = apperr.New(apperr.RateLimited, "Too many messages: wait a moment and try again.")
				}
			case framesBusy:
				if err == nil {
					err = apperr.New(apperr.RateLimited, "Too many messages from your network right now: wait a moment and try again.")
				}
			}
		}
		if err == nil {
			var count bool
			req.RoomCode, count, err = h.dispatch(ctx, connID, req)
			served = true
			if req.Action == catalog.Move && (count || apperr.As(err) != nil) && h.chargeFrame(ctx, connID, start) == framesClose {
				return h.closeConnection(ctx, ev, start, req, string(apperr.RateLimited), false)
			}
		}
	} else {
		req.Action = catalog.ActionOf(ev.Body)
		if h.strikes != nil && !h.strikes.Allow(connID) {
			// It keeps sending past its limit: answering would only cost more. Its address is
			// not charged: the close ends the flood, and a child hammering Enter in a chat box
			// must not cost a school its games.
			return h.closeConnection(ctx, ev, start, req, string(apperr.RateLimited), false)
		}
		err = apperr.New(apperr.RateLimited, "Too many messages: wait a moment and try again.")
	}
	if err == nil {
		h.logLine(ctx, ev, start, req.RoomCode, "ok", "", slog.String("action", req.Action))
		return ok, nil
	}
	if errors.Is(err, service.ErrClosed) { // nobody left to answer
		h.logLine(ctx, ev, start, req.RoomCode, "closed", "", slog.String("action", req.Action))
		return ok, nil
	}
	outcome := "client_error"
	attrs := []slog.Attr{slog.String("action", req.Action)}
	if apperr.As(err) == nil {
		outcome = "server_error"
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	// A miss is counted before it is answered, so that a client waiting for each answer
	// cannot get ahead of its count. One that cannot be counted is not answered as a miss.
	probing := false
	if apperr.CodeOf(err) == apperr.RoomNotFound && h.guard != nil {
		var perr error
		if probing, perr = h.probing(ctx, connID); perr != nil {
			outcome, err = "server_error", perr
			attrs = append(attrs, slog.String("error", perr.Error()))
		}
	}
	if sendErr := h.svc.SendError(ctx, connID, err, req.Action); sendErr != nil {
		attrs = append(attrs, slog.String("sendError", sendErr.Error()))
	}
	if probing {
		return h.closeConnection(ctx, ev, start, req, string(apperr.RoomNotFound), true)
	}
	h.logLine(ctx, ev, start, req.RoomCode, outcome, string(apperr.CodeOf(err)), attrs...)
	return ok, nil
}

// FrameLimit bounds a connection's frames in every container together: PerWindow frames in
// each Window (its start a multiple of Window since the epoch), answered rate_limited past
// that, and the connection closed past PerWindow+CloseOver.
type FrameLimit struct {
	Window    time.Duration
	PerWindow int
	CloseOver int
}

type framesVerdict int

const (
	framesOK framesVerdict = iota
	framesOver
	framesBusy // past its address's share
	framesClose
)

// chargeFrame counts a frame of connID in the shared window, and against its address's share
// of the stage, and says what the counts allow. A count that cannot be made lets the frame
// through (the per-container limit still holds).
func (h *Handler) chargeFrame(ctx context.Context, connID string, now time.Time) framesVerdict {
	if h.frames.PerWindow <= 0 || h.frames.Window <= 0 {
		return framesOK
	}
	window := now.Truncate(h.frames.Window)
	rec, err := h.svc.ChargeFrame(ctx, connID, window.Unix(), window.Add(-h.frames.Window).Unix())
	switch {
	case errors.Is(err, store.ErrConflict):
		return framesOK // no live record: a connection this deployment did not record
	case err != nil:
		h.log.WarnContext(ctx, "counting a frame across containers", "connectionId", connID, "error", err.Error())
		return framesOK
	case rec.Frames > h.frames.PerWindow+h.frames.CloseOver:
		return framesClose
	case rec.Frames > h.frames.PerWindow:
		return framesOver
	case h.guard == nil:
		return framesOK
	}
	// Its pace over the last window's length, sliding: this window's frames and the share of
	// the last one's that the sliding window still covers, so a window's start forgives
	// nothing.
	covered := 1 - float64(now.Sub(window))/float64(h.frames.Window)
	pace := float64(rec.Frames) + float64(rec.PrevFrames)*covered
	verdict, err := h.guard.Share(ctx, rec.Source, window, pace, rec.Frames == 1)
	if err != nil {
		h.log.WarnContext(ctx, "counting a frame against its address's share", "connectionId", connID, "error", err.Error())
	}
	switch verdict {
	case guard.Close:
		return framesClose
	case guard.Refuse:
		return framesBusy
	}
	return framesOK
}

// probing counts a room_not_found answer against the connection's budget and charges its
// source, and reports whether the connection is done: its budget spent, or its address's (a
// connection opened before the address spent its budget is held to probation too).
func (h *Handler) probing(ctx context.Context, connID string) (bool, error) {
	rec, err := h.svc.Missed(ctx, connID)
	if err != nil {
		return false, fmt.Errorf("counting a miss: %w", err)
	}
	if rec.Closed {
		return false, nil
	}
	spent, err := h.guard.Miss(ctx, rec.Source)
	if err != nil {
		// Counted against the connection: its own budget still holds.
		h.log.WarnContext(ctx, "charging a miss to its address", "connectionId", connID, "error", err.Error())
	}
	return h.guard.Done(rec.Misses, spent), nil
}

// closeConnection closes a connection the server is done with and logs why (code); for
// probing, its source is charged once. Frames of it that arrive before the close lands are
// dropped unanswered.
func (h *Handler) closeConnection(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest, start time.Time, req protocol.Request, code string, probing bool) (events.APIGatewayProxyResponse, error) {
	connID := h.connID(ev)
	h.closing.add(connID, start)
	attrs := []slog.Attr{slog.String("action", req.Action)}
	if h.guard != nil && probing {
		// The record says which source to charge; the guard charges a connection once,
		// whichever container closes it and however often.
		rec, err := h.svc.Record(ctx, connID)
		if err == nil {
			err = h.guard.Closed(ctx, rec.Source, connID)
		}
		if err != nil {
			attrs = append(attrs, slog.String("chargeError", err.Error()))
		}
	}
	if err := h.svc.Close(ctx, connID); err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.logLine(ctx, ev, start, req.RoomCode, "closed", code, attrs...)
	return ok, nil
}

// dispatch runs a decoded request and returns the room it concerned (for the log line), and
// whether a move it played must still be counted (service.Move says which).
func (h *Handler) dispatch(ctx context.Context, connID string, req protocol.Request) (string, bool, error) {
	if req.Action == catalog.Move {
		counted, err := h.svc.Move(ctx, connID, req.RoomCode, req.Cell)
		return req.RoomCode, counted, err
	}
	room, err := h.serve(ctx, connID, req)
	return room, false, err
}

// serve runs a decoded request other than a move and returns the room it concerned.
func (h *Handler) serve(ctx context.Context, connID string, req protocol.Request) (string, error) {
	switch req.Action {
	case catalog.CreateRoom, catalog.JoinRoom, catalog.PlayComputer, catalog.QuickMatch:
		return h.seat(ctx, connID, req)
	case catalog.MyGames:
		return "", h.svc.MyGames(ctx, connID, *req.Player)
	case catalog.Leaderboard:
		return "", h.svc.Leaderboard(ctx, connID, req.Player)
	case catalog.ForgetMe:
		return "", h.svc.ForgetMe(ctx, connID, *req.Player)
	case catalog.GetRoom:
		if req.Peek {
			return req.RoomCode, h.svc.PeekRoom(ctx, connID, req.RoomCode)
		}
		return req.RoomCode, h.svc.GetRoom(ctx, connID, req.RoomCode)
	case catalog.SendMessage:
		return req.RoomCode, h.svc.SendMessage(ctx, connID, req.RoomCode, req.Text)
	case catalog.Rematch:
		return req.RoomCode, h.svc.Rematch(ctx, connID, req.RoomCode)
	case catalog.LeaveRoom:
		return req.RoomCode, h.svc.LeaveRoom(ctx, connID, req.RoomCode)
	case catalog.Rejoin:
		return req.RoomCode, h.svc.Rejoin(ctx, connID, req.RoomCode, req.Token)
	case catalog.CancelQuickMatch:
		return "", h.svc.CancelQuickMatch(ctx, connID)
	}
	// Decode admits only the actions above; reaching here is a bug, reported as one.
	return req.RoomCode, errors.New("no dispatch for action " + req.Action)
}

// seat runs a frame that seats its sender, as the player its credential names, if it has one.
func (h *Handler) seat(ctx context.Context, connID string, req protocol.Request) (string, error) {
	id, err := h.svc.Identify(ctx, req.Player)
	if err != nil {
		return req.RoomCode, err
	}
	switch req.Action {
	case catalog.CreateRoom:
		return h.svc.CreateRoom(ctx, connID, req.Name, id)
	case catalog.JoinRoom:
		return req.RoomCode, h.svc.JoinRoom(ctx, connID, req.RoomCode, req.Name, id)
	case catalog.PlayComputer:
		return h.svc.PlayComputer(ctx, connID, req.Name, id, req.Level)
	default:
		return h.svc.QuickMatch(ctx, connID, req.Name, id)
	}
}

// logLine writes the one line per invocation: route, room, outcome, duration, error code.
func (h *Handler) logLine(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest, start time.Time, room, outcome, code string, extra ...slog.Attr) {
	attrs := []slog.Attr{
		slog.String("route", ev.RequestContext.RouteKey),
		slog.String("connectionId", h.connID(ev)),
		slog.String("requestId", ev.RequestContext.RequestID),
		slog.String("outcome", outcome),
		slog.Float64("durationMs", float64(h.now().Sub(start).Microseconds())/1000),
	}
	if room != "" {
		attrs = append(attrs, slog.String("room", room))
	}
	if code != "" {
		attrs = append(attrs, slog.String("errorCode", code))
	}
	level := slog.LevelInfo
	if outcome == "server_error" {
		level = slog.LevelError
	}
	h.log.LogAttrs(ctx, level, "request", append(attrs, extra...)...)
	if tr := xray.From(ctx); tr != nil {
		tr.Set(traceAction(ev, extra), room, traceOutcome(outcome))
	}
}

// traceAction is what a traced invocation was, as its log line says: the client's action, else
// the route ($disconnect).
func traceAction(ev events.APIGatewayWebsocketProxyRequest, extra []slog.Attr) string {
	for _, a := range extra {
		if a.Key == "action" && a.Value.String() != "" {
			return a.Value.String()
		}
	}
	return ev.RequestContext.RouteKey
}

// traceOutcome is a log line's outcome as X-Ray flags a segment: a client's mistake is an
// error, the function's failure a fault; a refused or closed connection is neither.
func traceOutcome(outcome string) xray.Outcome {
	switch outcome {
	case "client_error":
		return xray.ClientError
	case "server_error":
		return xray.ServerError
	}
	return xray.OK
}

// header looks a header up case-insensitively: API Gateway passes names as the client sent them.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
