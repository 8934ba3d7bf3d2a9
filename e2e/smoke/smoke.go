// Package smoke plays the game against a deployment as two players would, from the outside:
// the site and its security headers, config.js, two WebSocket connections, a room created and
// joined, a game played to a win, chat, a rematch and both players leaving. Each step either
// passes or fails with a StepError saying what it wanted and what came back. cmd/smoke runs it
// against a deployed stage (the pipeline does after each deploy); its tests run it against the
// local stack, whole and broken on purpose.
package smoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
)

// Target is the deployment to play against.
type Target struct {
	// Site is the site's URL (the Frontend stack's SiteUrl output).
	Site string
	// WebSocket, when set, is the socket to play through instead of the one config.js names
	// (e.g. ws://127.0.0.1:8080/dev). Behind the CloudFront distribution the socket is the
	// site's own /ws, which config.js names: leave this empty there.
	WebSocket string
	// StepTimeout bounds each step. Default: DefaultStepTimeout.
	StepTimeout time.Duration
	// Wait retries the first step, every few seconds, until it passes or this long has
	// gone: a deployment just made may not serve yet (its load balancer still taking its
	// instances in answers 502/503). Default: no retry.
	Wait time.Duration
	// Client makes the HTTP requests. Default: one with StepTimeout.
	Client *http.Client
	// Moves is how many more moves the latency step plays, in drawn games, timing each from
	// its send to both players' boards. Default: DefaultMoves.
	Moves int
	// Latency, when set, receives the latency step's measures.
	Latency func(Latency)
	// ServerSide, when set, reads the deployment's own side of the timed moves from its
	// metrics, in one more step ("metrics"), which may wait MetricsWait for them to arrive.
	ServerSide  ServerSide
	MetricsWait time.Duration
}

// ServerSide reads a deployment's own timings of a move (the game function's per-hop
// latencies, docs/monitoring.md) over a window, waiting within ctx for them to arrive.
type ServerSide interface {
	MoveHops(ctx context.Context, from, to time.Time) ([]Hop, error)
}

// Hop is one hop of a move as the deployment measured it: its name and percentiles.
type Hop struct {
	Name     string
	P50, P99 time.Duration
}

// Latency is the latency step's measures: how many moves, and the percentiles of each move's
// trip from its send until the mover's board shows it and until both boards do.
type Latency struct {
	Moves              int
	MoverP50, MoverP99 time.Duration
	BothP50, BothP99   time.Duration
}

// DefaultMoves: two drawn games' worth, enough for a p50 and a rough p99.
const DefaultMoves = 18

// movePace spaces the timed moves so that each player sends under a frame a second, the
// per-connection rate a deployment enforces (lambda/capacity): a move is never refused for it.
const movePace = 600 * time.Millisecond

// retryEvery is the pause between tries of the first step within Target.Wait.
const retryEvery = 5 * time.Second

// DefaultStepTimeout is long enough for a cold start of every function on the way.
const DefaultStepTimeout = 20 * time.Second

// StepError is a failed step: which one, what it expected, what it got.
type StepError struct {
	Step string
	Want string
	Got  string
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %s failed: want %s; got %s", e.Step, e.Want, e.Got)
}

// The players' names, as the room shows them.
const (
	hostName  = "Smoke host"
	guestName = "Smoke guest"
)

// Run plays the whole scenario against t, writing one line per passed step to log. It returns
// the first failure, a *StepError.
func Run(ctx context.Context, t Target, log io.Writer) error {
	if t.StepTimeout <= 0 {
		t.StepTimeout = DefaultStepTimeout
	}
	if t.Client == nil {
		t.Client = &http.Client{Timeout: t.StepTimeout}
	}
	site, err := url.Parse(t.Site)
	if err != nil || (site.Scheme != "http" && site.Scheme != "https") || site.Host == "" {
		return &StepError{Step: "site", Want: "an http:// or https:// site URL", Got: strconv.Quote(t.Site)}
	}
	if t.Moves <= 0 {
		t.Moves = DefaultMoves
	}
	r := &run{t: t, site: site, log: log}
	steps := []step{
		{"site", r.page},
		{"config.js", r.config},
		{"connect", r.connect},
		{catalog.CreateRoom, r.createRoom},
		{catalog.JoinRoom, r.joinRoom},
		{catalog.Move, r.playToAWin},
		{catalog.SendMessage, r.chat},
		{catalog.Rematch, r.rematch},
		{"latency", r.latency},
		{"metrics", r.metrics},
		{catalog.LeaveRoom, r.leave},
	}
	if t.ServerSide == nil {
		steps = slices.DeleteFunc(steps, func(s step) bool { return s.name == "metrics" })
	}
	defer r.close()
	for i, s := range steps {
		start := time.Now()
		r.step = s.name
		var err error
		for {
			limit := t.StepTimeout
			switch s.name {
			case "latency": // paced: each move waits its turn
				limit += time.Duration(t.Moves) * movePace
			case "metrics": // the metrics arrive a minute or two after the moves
				limit += t.MetricsWait
			}
			sctx, cancel := context.WithTimeout(ctx, limit)
			err = s.do(sctx)
			cancel()
			if err == nil || i > 0 || time.Since(start)+retryEvery > t.Wait || ctx.Err() != nil {
				break
			}
			fmt.Fprintf(log, "wait %-12s %v; again in %s\n", s.name, err, retryEvery)
			select {
			case <-time.After(retryEvery):
			case <-ctx.Done():
			}
		}
		if err != nil {
			var se *StepError
			if !errors.As(err, &se) {
				se = &StepError{Want: "no error", Got: err.Error()}
			}
			se.Step = s.name
			return se
		}
		fmt.Fprintf(log, "ok   %-12s %s%s\n", s.name, time.Since(start).Round(time.Millisecond), r.said)
		r.said = ""
	}
	return nil
}

// run is one scenario's state.
type run struct {
	t           Target
	site        *url.URL
	log         io.Writer
	step        string
	socket      string
	host, guest *player
	code        string
	said        string       // what the step measured, for its line
	timed       [2]time.Time // when the latency step's moves began and ended
}

// step is one step of the scenario.
type step struct {
	name string
	do   func(ctx context.Context) error
}

func (r *run) fail(want, format string, args ...any) error {
	return &StepError{Step: r.step, Want: want, Got: fmt.Sprintf(format, args...)}
}

func (r *run) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := r.t.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, b, err
}

// page loads the site and checks the headers NGINX sends (frontend.SecurityHeaders), HSTS over
// HTTPS, and that it is the game's page.
func (r *run) page(ctx context.Context) error {
	resp, body, err := r.get(ctx, r.site.String())
	if err != nil {
		return r.fail("the site to answer", "%v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return r.fail("200 OK", "%s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return r.fail("a text/html page", "Content-Type %q", ct)
	}
	if !strings.Contains(string(body), `src="js/main.mjs"`) {
		return r.fail("the game's page (index.html loading js/main.mjs)", "%q", truncate(string(body), 200))
	}
	want, err := frontend.SecurityHeaders("")
	if err != nil {
		return err
	}
	for name := range want {
		if resp.Header.Get(name) == "" {
			return r.fail("the "+name+" header NGINX sends", "none (headers: %s)", headerNames(resp.Header))
		}
	}
	for _, name := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if got := resp.Header.Get(name); got != want.Get(name) {
			return r.fail(fmt.Sprintf("%s: %s", name, want.Get(name)), "%q", got)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
		return r.fail("a Content-Security-Policy with default-src 'none' and script-src 'self'", "%q", csp)
	}
	if r.site.Scheme == "https" {
		maxAge, err := frontend.HSTSMaxAge()
		if err != nil {
			return err
		}
		want := fmt.Sprintf("max-age=%d", int(maxAge.Seconds()))
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(got, want) {
			return r.fail("Strict-Transport-Security with "+want, "%q", got)
		}
	}
	return nil
}

// configRE is config.js as the user data and the local stack write it.
var configRE = regexp.MustCompile(`^\s*window\.TICTACTOE_CONFIG\s*=\s*(\{.*\})\s*;?\s*$`)

// config reads config.js, checks the socket it names (or the one given) against the page's
// CSP, and keeps the socket's URL.
func (r *run) config(ctx context.Context) error {
	resp, body, err := r.get(ctx, r.site.JoinPath(frontend.ConfigFile).String())
	if err != nil {
		return r.fail("config.js to answer", "%v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return r.fail("200 OK", "%s", resp.Status)
	}
	m := configRE.FindSubmatch(body)
	var cfg struct {
		WebSocketURL string `json:"webSocketUrl"`
	}
	if m == nil || json.Unmarshal(m[1], &cfg) != nil || cfg.WebSocketURL == "" {
		return r.fail(`window.TICTACTOE_CONFIG = {"webSocketUrl": "..."};`, "%q", truncate(string(body), 200))
	}
	named, err := socketURL(cfg.WebSocketURL, r.site)
	if err != nil {
		return r.fail("a ws://, wss:// URL or a path as webSocketUrl", "%v", err)
	}
	if r.site.Scheme == "https" && named.Scheme != "wss" {
		return r.fail("a wss:// socket for an https:// site", "%s", named)
	}
	// The page may connect only where its CSP allows: its own host, or the origin named.
	csp := resp.Header.Get("Content-Security-Policy")
	if named.Host != r.site.Host && !strings.Contains(csp, named.Scheme+"://"+named.Host) {
		return r.fail("a CSP connect-src allowing "+named.Scheme+"://"+named.Host, "%q", csp)
	}
	r.socket = named.String()
	if r.t.WebSocket != "" {
		r.socket = r.t.WebSocket
	}
	return nil
}

// socketURL resolves config.js's webSocketUrl as the site does (frontend/site/js/socket.mjs).
func socketURL(v string, page *url.URL) (*url.URL, error) {
	if strings.HasPrefix(v, "ws://") || strings.HasPrefix(v, "wss://") {
		return url.Parse(v)
	}
	if !strings.HasPrefix(v, "/") {
		return nil, fmt.Errorf("%q", v)
	}
	u := page.ResolveReference(&url.URL{Path: v})
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[page.Scheme]
	return u, nil
}

func (r *run) connect(ctx context.Context) error {
	origin := r.site.Scheme + "://" + r.site.Host
	var err error
	if r.host, err = dial(ctx, r.socket, origin, hostName); err != nil {
		return r.fail("the socket "+r.socket+" to accept a connection", "%v", err)
	}
	if r.guest, err = dial(ctx, r.socket, origin, guestName); err != nil {
		return r.fail("the socket "+r.socket+" to accept a second connection", "%v", err)
	}
	return nil
}

func (r *run) createRoom(ctx context.Context) error {
	if err := r.host.send(ctx, map[string]any{"action": catalog.CreateRoom, "name": hostName}); err != nil {
		return err
	}
	f, err := r.host.await(ctx, "a room frame with seat X, a token and status waiting", func(f *frame) bool {
		return f.You != nil && f.You.Symbol == "X" && f.You.Token != "" && f.Room.Status == "waiting"
	})
	if err != nil {
		return err
	}
	if len(f.Room.Code) != 6 {
		return r.fail("a 6-character room code", "%q", f.Room.Code)
	}
	r.code = f.Room.Code
	return nil
}

func (r *run) joinRoom(ctx context.Context) error {
	if err := r.guest.send(ctx, map[string]any{"action": catalog.JoinRoom, "roomCode": strings.ToLower(r.code), "name": guestName}); err != nil {
		return err
	}
	playing := func(f *frame) bool {
		return f.Room.Code == r.code && f.Room.Status == "playing" && f.Room.Turn == "X" && f.Room.Players.O != nil && f.Room.Players.O.Name == guestName
	}
	if _, err := r.guest.await(ctx, "a room frame with seat O and the game playing, X to move", func(f *frame) bool {
		return playing(f) && f.You != nil && f.You.Symbol == "O" && f.You.Token != ""
	}); err != nil {
		return err
	}
	_, err := r.host.await(ctx, "the host told that "+guestName+" joined", playing)
	return err
}

// playToAWin plays X down the top row, O in the middle one: X wins with 0 1 2.
func (r *run) playToAWin(ctx context.Context) error {
	moves := []struct {
		by   *player
		cell int
	}{{r.host, 0}, {r.guest, 3}, {r.host, 1}, {r.guest, 4}, {r.host, 2}}
	for i, m := range moves {
		if err := m.by.send(ctx, map[string]any{"action": catalog.Move, "roomCode": r.code, "cell": m.cell}); err != nil {
			return err
		}
		want := fmt.Sprintf("move %d (%s in cell %d) on both boards", i+1, m.by.symbol(), m.cell)
		for _, p := range []*player{r.host, r.guest} {
			if _, err := p.await(ctx, want, func(f *frame) bool { return f.Room.Board[m.cell] == m.by.symbol() }); err != nil {
				return err
			}
		}
	}
	for _, p := range []*player{r.host, r.guest} {
		if _, err := p.await(ctx, "X the winner with the line 0 1 2, the score 1-0", func(f *frame) bool {
			return f.Room.Status == "won" && f.Room.Winner == "X" && fmt.Sprint(f.Room.WinLine) == "[0 1 2]" && f.Room.Score.X == 1
		}); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) chat(ctx context.Context) error {
	const text = "good game"
	if err := r.guest.send(ctx, map[string]any{"action": catalog.SendMessage, "roomCode": r.code, "text": text}); err != nil {
		return err
	}
	for _, p := range []*player{r.host, r.guest} {
		if _, err := p.awaitType(ctx, protocol.TypeChat, fmt.Sprintf("the chat %q from %s", text, guestName), func(f *frame) bool {
			return f.From == guestName && f.Text == text && f.Symbol == "O"
		}); err != nil {
			return err
		}
	}
	return nil
}

// rematch: both ask; the next game starts, opened by O (who did not open the last), the
// series score kept.
func (r *run) rematch(ctx context.Context) error {
	for _, p := range []*player{r.host, r.guest} {
		if err := p.send(ctx, map[string]any{"action": catalog.Rematch, "roomCode": r.code}); err != nil {
			return err
		}
	}
	for _, p := range []*player{r.host, r.guest} {
		if _, err := p.await(ctx, "a new game on an empty board, O to open, the score still 1-0", func(f *frame) bool {
			return f.Room.Status == "playing" && f.Room.Turn == "O" && f.Room.Board == [9]string{} && f.Room.Score.X == 1 && f.Room.Score.O == 0
		}); err != nil {
			return err
		}
	}
	return nil
}

// drawn is a drawn game by the order its cells are played in, whoever opens.
var drawn = [9]int{0, 1, 2, 4, 3, 5, 7, 6, 8}

// latency plays Target.Moves more moves in drawn games (rematched as they end), timing each
// from its send until the mover's board shows it and until both boards do: the player's side
// of a move's trip, network included (docs/benchmarks.md, "On AWS").
func (r *run) latency(ctx context.Context) error {
	n := r.t.Moves
	var mover, both []time.Duration
	first := time.Now()
	for played := 0; played < n; {
		for i := 0; i < len(drawn) && played < n; i, played = i+1, played+1 {
			st := r.host.latest.Room
			by, other := r.host, r.guest
			if st.Turn != r.host.symbol() {
				by, other = r.guest, r.host
			}
			cell := drawn[i]
			select {
			case <-time.After(movePace):
			case <-ctx.Done():
				return ctx.Err()
			}
			sent := time.Now()
			if err := by.send(ctx, map[string]any{"action": catalog.Move, "roomCode": r.code, "cell": cell}); err != nil {
				return err
			}
			want := fmt.Sprintf("move %d (%s in cell %d) on both boards", played+1, by.symbol(), cell)
			shows := func(f *frame) bool { return f.Room.Board[cell] == by.symbol() }
			if _, err := by.await(ctx, want, shows); err != nil {
				return err
			}
			mover = append(mover, time.Since(sent))
			if _, err := other.await(ctx, want, shows); err != nil {
				return err
			}
			both = append(both, time.Since(sent))
		}
		if played < n {
			if err := r.again(ctx); err != nil {
				return err
			}
		}
	}
	l := Latency{Moves: n, MoverP50: percentile(mover, 50), MoverP99: percentile(mover, 99), BothP50: percentile(both, 50), BothP99: percentile(both, 99)}
	r.said = fmt.Sprintf("; %d moves: to the mover p50 %s, p99 %s, to both players p50 %s, p99 %s", n,
		round(l.MoverP50), round(l.MoverP99), round(l.BothP50), round(l.BothP99))
	if r.t.Latency != nil {
		r.t.Latency(l)
	}
	r.timed[0], r.timed[1] = first, time.Now()
	return nil
}

// metrics reads the deployment's own side of the timed moves (Target.ServerSide).
func (r *run) metrics(ctx context.Context) error {
	hops, err := r.t.ServerSide.MoveHops(ctx, r.timed[0], r.timed[1])
	if err != nil {
		return r.fail("the deployment's per-hop latencies of a move", "%v", err)
	}
	var b strings.Builder
	b.WriteString("; the deployment's own, a move")
	for _, h := range hops {
		fmt.Fprintf(&b, ", %s p50 %s, p99 %s", h.Name, round(h.P50), round(h.P99))
	}
	r.said = b.String()
	return nil
}

// again ends a drawn game with a rematch: a new, empty board.
func (r *run) again(ctx context.Context) error {
	for _, p := range []*player{r.host, r.guest} {
		if err := p.send(ctx, map[string]any{"action": catalog.Rematch, "roomCode": r.code}); err != nil {
			return err
		}
	}
	for _, p := range []*player{r.host, r.guest} {
		if _, err := p.await(ctx, "a rematch's empty board", func(f *frame) bool {
			return f.Room.Status == "playing" && f.Room.Board == [9]string{}
		}); err != nil {
			return err
		}
	}
	return nil
}

// percentile is the p-th percentile of ds, nearest rank.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(0, (len(s)*p+99)/100-1)]
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }

// leave: the guest leaves (the host waits again), then the host (the room is gone).
func (r *run) leave(ctx context.Context) error {
	if err := r.guest.send(ctx, map[string]any{"action": catalog.LeaveRoom, "roomCode": r.code}); err != nil {
		return err
	}
	if _, err := r.guest.awaitType(ctx, protocol.TypeLeft, "a left frame for the guest", func(f *frame) bool { return f.RoomCode == r.code }); err != nil {
		return err
	}
	if _, err := r.host.await(ctx, "the room waiting again, seat O empty", func(f *frame) bool {
		return f.Room.Status == "waiting" && f.Room.Players.O == nil
	}); err != nil {
		return err
	}
	if err := r.host.send(ctx, map[string]any{"action": catalog.LeaveRoom, "roomCode": r.code}); err != nil {
		return err
	}
	if _, err := r.host.awaitType(ctx, protocol.TypeLeft, "a left frame for the host", func(f *frame) bool { return f.RoomCode == r.code }); err != nil {
		return err
	}
	// The room is gone: asking for it is room_not_found.
	if err := r.guest.send(ctx, map[string]any{"action": catalog.GetRoom, "roomCode": r.code}); err != nil {
		return err
	}
	_, err := r.guest.awaitType(ctx, protocol.TypeError, "room_not_found for the room both left", func(f *frame) bool { return f.Code == "room_not_found" })
	return err
}

func (r *run) close() {
	for _, p := range []*player{r.host, r.guest} {
		if p != nil {
			p.close()
		}
	}
}

func headerNames(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	return strings.Join(names, ", ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
