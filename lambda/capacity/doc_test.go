package capacity

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docPath is the page that shows this package's arithmetic.
const docPath = "../../docs/capacity.md"

// number is the first number in s, commas between thousands allowed ("1,000/s" is 1000).
var number = regexp.MustCompile(`\d[\d,]*(\.\d+)?`)

func parseNumber(t *testing.T, s string) float64 {
	t.Helper()
	m := number.FindString(s)
	f, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64)
	if err != nil {
		t.Fatalf("%q holds no number", s)
	}
	return f
}

// docTable is the rows of the markdown table that follows the line of page's text doc that
// holds intro, each row's cells trimmed, the header row first.
func docTable(t *testing.T, page, doc, intro string) [][]string {
	t.Helper()
	i := strings.Index(doc, intro)
	if i < 0 {
		t.Fatalf("%s has no line %q", page, intro)
	}
	var rows [][]string
	for _, line := range strings.Split(doc[i:], "\n")[1:] {
		line = strings.TrimSpace(line)
		if line == "" && len(rows) == 0 {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		if strings.HasPrefix(line, "|---") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: no table after %q", page, intro)
	}
	return rows
}

// Every number of docs/capacity.md's table of limits is the model's, for both sizes the table
// shows, and every row of it is one the model knows: a row added to the page needs its number
// here, and a number changed on one side only fails.
func TestDocTableIsTheModel(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	rows := docTable(t, docPath, string(b), "What follows for `games` = G")
	limits := map[string]func(Model) float64{
		"connections":                                                     func(m Model) float64 { return float64(m.Connections()) },
		"stage throttle, steady":                                          Model.StageRate,
		"stage throttle, burst":                                           Model.StageBurst,
		"`$connect` route throttle, steady":                               Model.ConnectRate,
		"`$connect` route throttle, burst":                                Model.ConnectBurst,
		"game function reserved concurrency":                              func(m Model) float64 { return float64(m.GameConcurrency()) },
		"account requests at the sized peak":                              Model.AccountRequests,
		"account requests at worst":                                       Model.WorstAccountRequests,
		"account new connections":                                         Model.ConnectRate,
		"connections at the full per-connection rate that take the stage": func(m Model) float64 { return float64(m.ConnectionsAtFullRate()) },
		"addresses at their whole share that take the stage":              func(m Model) float64 { return float64(m.AddressesAtShareToFillStage()) },
		"connections at a player's pace that take the stage":              func(m Model) float64 { return float64(m.PacedConnectionsToFillStage()) },
	}
	header := rows[0]
	if len(header) != 4 || !strings.Contains(header[2], "G = ") || !strings.Contains(header[3], "G = ") {
		t.Fatalf("the table's header %q: want limit, formula and two columns headed G = n", header)
	}
	sizes := []int{int(parseNumber(t, header[2][strings.Index(header[2], "G = "):])), int(parseNumber(t, header[3]))}
	if sizes[0] != DefaultGames {
		t.Errorf("the table's default column is for %d games, the default is %d", sizes[0], DefaultGames)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if len(row) != 4 {
			t.Errorf("row %q: want 4 cells", row)
			continue
		}
		limit, ok := limits[row[0]]
		if !ok {
			t.Errorf("row %q: not a limit this test knows; add it to the test with the model's method", row[0])
			continue
		}
		seen[row[0]] = true
		for i, games := range sizes {
			m := Model{Games: games}
			if got, want := parseNumber(t, row[2+i]), limit(m); got != want {
				t.Errorf("%s for %d games: the page says %v (%q), the model %v", row[0], games, got, row[2+i], want)
			}
		}
	}
	for name := range limits {
		if !seen[name] {
			t.Errorf("the table has no row %q", name)
		}
	}
}

// The numbers docs/capacity.md states in its text are the model's.
func TestDocTextIsTheModel(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ") // a sentence may break anywhere
	d, most := Default(), Model{Games: MaxGames()}
	tests := []struct {
		pattern string
		want    float64
	}{
		{"`games` takes 1 to \\*\\*([\\d,]+)\\*\\*", float64(MaxGames())},
		{"fits the account's 10,000 requests per second: ([\\d,]+)\\*\\*", float64(MaxGames())},
		{"fits the account's ([\\d,]+) requests per second", AccountRequestsPerSecond},
		{"\\*\\*([\\d,]+) requests per second\\*\\* \\(bursts of 5,000\\)", AccountRequestsPerSecond},
		{"\\*\\*([\\d,]+) new connections per second\\*\\*", AccountConnectsPerSecond},
		{"Its `\\$connect` rate, ([\\d,]+)/s", most.ConnectRate()},
		{"with bursts of ([\\d,]+), stays well inside", most.ConnectBurst()},
		{"\\(([\\d,]+)/s; [\\d,]+ games would make", most.WorstAccountRequests()},
		{"\\([\\d,]+/s; ([\\d,]+) games would make", float64(MaxGames() + 1)},
		{"games would make ([\\d,]+)/s\\)", Model{Games: MaxGames() + 1}.WorstAccountRequests()},
		{"At [\\d,]+ games the sized peak is ([\\d,]+)/s", most.AccountRequests()},
		{"\\*\\*([\\d.]+) requests per second per game\\*\\*", Model{Games: 1000}.AccountRequests() / 1000},
		{"\\(1 \\+ 8\\) = \\*\\*([\\d.]+) per game\\*\\*", Model{Games: 1000}.WorstAccountRequests() / 1000},
		{"fires at \\*\\*([\\d,]+) requests per second\\*\\*", AccountAlarmRate()},
		{"\\*\\*[\\d,]+ requests per second\\*\\*, ([\\d,]+) % of the account's", AccountAlarmPercent},
		{"([\\d,]+)/s for [\\d,]+ games, is refused", d.MaxStageRate()},
		{"[\\d,]+/s for ([\\d,]+) games, is refused", DefaultGames},
		{"\\*\\*([\\d,]+) frame per second, with bursts of [\\d,]+\\*\\*", RatePerConnection},
		{"\\*\\*[\\d,]+ frame per second, with bursts of ([\\d,]+)\\*\\*", BurstPerConnection},
		{"\\| frames per connection \\| ([\\d,]+)/s, bursts of [\\d,]+ in each container", RatePerConnection},
		{"\\| frames per connection \\| [\\d,]+/s, bursts of ([\\d,]+) in each container", BurstPerConnection},
		{"in each container; ([\\d,]+) per 10-second window across all of them", float64(FramesPerWindow(RatePerConnection, BurstPerConnection))},
		{"a default stage \\(([\\d,]+)/s\\) is filled", d.StageRate()},
		{"is filled by \\*\\*([\\d,]+) connections\\*\\*", float64(d.ConnectionsAtFullRate())},
		{"one connection's burst is [\\d,]+ of the stage's ([\\d,]+)", d.StageBurst()},
		{"one connection's burst is ([\\d,]+) of the stage's", BurstPerConnection},
		{"\\*\\*([\\d,]+)\\*\\* frames out", FramesOutPerFrameIn},
		{"and \\*\\*([\\d,]+)\\*\\* on average", PostsPerFrameIn},
		{"with a default deployment's throttles \\(([\\d,]+)/s, bursts of", d.StageRate()},
		{"with a default deployment's throttles \\([\\d,]+/s, bursts of ([\\d,]+)", d.StageBurst()},
		{"for the stage's routes; ([\\d,]+)/s, bursts of [\\d,]+ for `\\$connect`", d.ConnectRate()},
		{"for the stage's routes; [\\d,]+/s, bursts of ([\\d,]+) for `\\$connect`", d.ConnectBurst()},
		// The assumptions table.
		{"\\| connections per game \\| ([\\d,]+) \\|", PlayersPerGame + SpectatorsPerGame},
		{"\\| frames per game \\| one every ([\\d,]+) s \\|", SecondsPerGameFrame},
		{"\\| headroom \\| ([\\d,]+)× \\|", Headroom},
		{"\\| posts per frame \\| ([\\d.]+) on average", PostsPerFrameIn},
		{"\\| posts per frame \\| [\\d.]+ on average, ([\\d,]+) at most", FramesOutPerFrameIn},
		{"\\| game function invocation \\| ([\\d,]+) ms \\|", GameSeconds * 1000},
		{"\\| reconnect window \\| ([\\d,]+) s \\|", ReconnectSeconds},
		// The ceilings table.
		{"\\| frames past that limit \\| ([\\d,]+) \\(", StrikesToClose},
		{"one forgiven per ([\\d,]+) s;", StrikeForgiveSeconds},
		{"\\| `room_not_found` answers per connection \\| ([\\d,]+),", MissesPerConnection},
		{"\\| strikes per address, on a ([\\d,]+)-minute sliding window", AddressWindowMinutes},
		{"sliding window \\| ([\\d,]+): a `room_not_found` answer costs", AddressStrikes},
		{"a `room_not_found` answer costs ([\\d,]+), a connection closed", MissCost},
		{"a connection closed for them ([\\d,]+) \\(once per connection\\)", CloseCost},
		{"each of its connections, new or already open, gets ([\\d,]+) `room_not_found` answer instead of", ProbationMisses},
		{"answer instead of ([\\d,]+), until enough strikes", MissesPerConnection},
		{"\\| spectators per room \\| ([\\d,]+) \\|", MaxWatchers},
		// An address's share.
		{"\\*\\*([\\d,]+) frames per 10 seconds\\*\\* per address", AddressFramesPerWindow},
		{"\\*\\*[\\d,]+ frames per ([\\d,]+) seconds\\*\\* per address", FrameWindowSeconds},
		{"a player's pace, ([\\d,]+) frames in the last 10 s\\*\\*", PacedFramesPerWindow},
		{"and ([\\d,]+) frame past it the connection is closed \\(its", ShareRefusalsToClose},
		{"the connection is closed \\(its \\*\\*([\\d,]+)th frame\\*\\*", FramesBeforeShareClose},
		{"with ([\\d,]+) times the share \\(`capacity.NetworkShareFactor`\\)", NetworkShareFactor},
		{"keeps ([\\d,]+) frames per second", AddressShareRate()},
		{"a default stage \\(([\\d,]+)/s\\) takes \\*\\*[\\d,]+ addresses", d.StageRate()},
		{"takes \\*\\*([\\d,]+) addresses\\*\\* at their whole share", float64(d.AddressesAtShareToFillStage())},
		{"a stage for 1,000 games ([\\d,]+) \\(the table", float64(Model{Games: 1000}.AddressesAtShareToFillStage())},
		{"costs the stage at most ([\\d,]+) frames per connection", FramesBeforeShareClose},
		{"It takes \\*\\*([\\d,]+) connections\\*\\* at a player's", float64(d.PacedConnectionsToFillStage())},
		{"\\| frames per address, its share of the stage \\| ([\\d,]+) per 10 s", AddressFramesPerWindow},
		{"a player's pace \\(([\\d,]+) frames in the last 10 s\\) or an equal part", PacedFramesPerWindow},
		{"and closed at their ([\\d,]+)th frame in 10 s", FramesBeforeShareClose},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(tt.pattern)
		m := re.FindStringSubmatch(doc)
		if m == nil {
			t.Errorf("%s does not say %s any more: change the page and this test together", docPath, tt.pattern)
			continue
		}
		if got := parseNumber(t, m[1]); got != tt.want {
			t.Errorf("%s says %q: %v, the model %v", docPath, m[0], got, tt.want)
		}
	}
}

// The settings tables of docs/deploy.md (addressFrames) and docs/backend.md (ADDRESS_FRAMES)
// state the share's pace and close as the model has them.
func TestShareRowsAreTheModel(t *testing.T) {
	for _, doc := range []struct{ path, row string }{
		{"../../docs/deploy.md", "| `addressFrames` |"},
		{"../../docs/backend.md", "| `ADDRESS_FRAMES` |"},
	} {
		b, err := os.ReadFile(doc.path)
		if err != nil {
			t.Fatal(err)
		}
		var row string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, doc.row) {
				row = line
			}
		}
		for _, want := range []string{
			doc.row + " `" + strconv.Itoa(AddressFramesPerWindow) + "` |",
			"a player's pace, " + strconv.Itoa(PacedFramesPerWindow) + " frames in the last 10 s",
			"closed " + strconv.Itoa(ShareRefusalsToClose) + " frame past it",
		} {
			if !strings.Contains(row, want) {
				t.Errorf("%s's %s row does not say %q", doc.path, doc.row, want)
			}
		}
	}
}
