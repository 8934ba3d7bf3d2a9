package capacity

import "testing"

// The default deployment keeps the limits it had before the model (100/s, bursts of 200), and
// every limit grows with the games it is sized for.
func TestModel(t *testing.T) {
	tests := []struct {
		games                     int
		rate, burst               float64
		connectRate, connectBurst float64
		concurrency               int
	}{
		{1, 1, 2, 1, MinConnectBurst, MinGameConcurrency}, // the stacks cap $connect at the stage
		{DefaultGames, 100, 200, 10, 100, 20},
		{1000, 1000, 2000, 100, 300, 200},
		{MaxGames(), 1010, 2020, 101, 303, 202},
	}
	for _, tt := range tests {
		m := Model{Games: tt.games}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if m.StageRate() != tt.rate || m.StageBurst() != tt.burst || m.ConnectRate() != tt.connectRate ||
			m.ConnectBurst() != tt.connectBurst || m.GameConcurrency() != tt.concurrency {
			t.Errorf("%d games: stage %v/%v, connect %v/%v, concurrency %d; want %v/%v, %v/%v, %d", tt.games,
				m.StageRate(), m.StageBurst(), m.ConnectRate(), m.ConnectBurst(), m.GameConcurrency(),
				tt.rate, tt.burst, tt.connectRate, tt.connectBurst, tt.concurrency)
		}
	}
	for _, games := range []int{0, -1, MaxGames() + 1} {
		if err := (Model{Games: games}).Validate(); err == nil {
			t.Errorf("%d games: no error", games)
		}
	}
	if FramesOutPerFrameIn != 8 || PostsPerFrameIn != 3 {
		t.Errorf("fan-out %d frames at worst, %d on average; docs/capacity.md says 8 and 3", FramesOutPerFrameIn, PostsPerFrameIn)
	}
}

// What AWS counts: every request the stage admits is one of the account's requests, and so is
// every post it makes the server send through @connections. The worst case (every frame fanned
// out to a full room, each connect's disconnect telling its room) must fit the account-level
// quota for every games the setting takes, and MaxGames is the last that fits.
func TestAccountQuotas(t *testing.T) {
	tests := []struct {
		games                int
		account, worst       float64
		atFullRate           int
		connectShareOfQuota  float64 // $connect's rate against the account's new connections
		worstShareOfRequests float64
	}{
		// (stage + $connect) × (1 + 3) and × (1 + 8)
		{1, (1 + 1) * 4, (1 + 1) * 9, 1, 1.0 / 500, 18.0 / 10000},
		{DefaultGames, (100 + 10) * 4, (100 + 10) * 9, 100, 10.0 / 500, 990.0 / 10000},
		{1000, (1000 + 100) * 4, (1000 + 100) * 9, 1000, 100.0 / 500, 9900.0 / 10000},
		{1010, (1010 + 101) * 4, (1010 + 101) * 9, 1010, 101.0 / 500, 9999.0 / 10000},
	}
	for _, tt := range tests {
		m := Model{Games: tt.games}
		if m.AccountRequests() != tt.account || m.WorstAccountRequests() != tt.worst || m.ConnectionsAtFullRate() != tt.atFullRate {
			t.Errorf("%d games: account %v/s, worst %v/s, %d connections at the full rate; want %v/s, %v/s, %d", tt.games,
				m.AccountRequests(), m.WorstAccountRequests(), m.ConnectionsAtFullRate(), tt.account, tt.worst, tt.atFullRate)
		}
		if got := m.ConnectRate() / AccountConnectsPerSecond; got != tt.connectShareOfQuota {
			t.Errorf("%d games: $connect takes %v of the account's new connections, want %v", tt.games, got, tt.connectShareOfQuota)
		}
		if got := m.WorstAccountRequests() / AccountRequestsPerSecond; got != tt.worstShareOfRequests {
			t.Errorf("%d games: the worst case takes %v of the account's requests, want %v", tt.games, got, tt.worstShareOfRequests)
		}
	}
	if MaxGames() != 1010 {
		t.Errorf("MaxGames %d, docs/capacity.md says 1,010", MaxGames())
	}
	for g := 1; g <= MaxGames(); g++ {
		m := Model{Games: g}
		if m.WorstAccountRequests() > AccountRequestsPerSecond || m.ConnectRate() > AccountConnectsPerSecond || m.ConnectBurst() > AccountConnectsPerSecond {
			t.Fatalf("%d games: worst %v requests/s, $connect %v/s bursts of %v: past the account's quotas", g,
				m.WorstAccountRequests(), m.ConnectRate(), m.ConnectBurst())
		}
	}
	if next := (Model{Games: MaxGames() + 1}); next.WorstAccountRequests() <= AccountRequestsPerSecond {
		t.Errorf("%d games still fit (%v/s at worst): MaxGames is not the largest", next.Games, next.WorstAccountRequests())
	}
	if WorstRequests(100, 10) != 990 {
		t.Errorf("a stage of 100/s and $connect of 10/s: %v/s at worst, want 990", WorstRequests(100, 10))
	}
	if AccountAlarmRate() != 8000 {
		t.Errorf("the account alarm at %v/s, want 80 %% of 10,000", AccountAlarmRate())
	}
}

// The per-connection limit is a human's pace with room to spare, and a default stage takes
// its steady rate from no fewer connections than the deployment has games.
func TestPerConnectionRate(t *testing.T) {
	if RatePerConnection != 1 || BurstPerConnection != 10 {
		t.Errorf("per connection %v/s, bursts of %v; docs/capacity.md says 1/s, bursts of 10", RatePerConnection, BurstPerConnection)
	}
	m := Default()
	// A polite flood: 40 connections from 2 addresses, each at the full per-connection rate.
	if took := 40 * RatePerConnection / m.StageRate(); took != 0.4 {
		t.Errorf("40 connections at the full rate take %v of a default stage, want 0.4", took)
	}
	if m.ConnectionsAtFullRate() != m.Games {
		t.Errorf("%d connections at the full rate take a default stage, want %d (one per game)", m.ConnectionsAtFullRate(), m.Games)
	}
	// A connection at its burst takes a twentieth of the stage's.
	if share := BurstPerConnection / m.StageBurst(); share != 0.05 {
		t.Errorf("one connection's burst is %v of the stage's, want 0.05", share)
	}
}

func TestAccountQuotaByRegion(t *testing.T) {
	tests := []struct {
		region string
		quota  int
		alarm  float64
	}{
		{"us-east-1", 10000, 8000},
		{"eu-west-1", 10000, 8000},
		{"eu-central-2", 2500, 2000},
		{"mx-central-1", 2500, 2000},
		{"", 10000, 8000},
	}
	for _, tt := range tests {
		if q, a := AccountRequestsIn(tt.region), AccountAlarmRateIn(tt.region); q != tt.quota || a != tt.alarm {
			t.Errorf("%q: quota %d, alarm %v; want %d, %v", tt.region, q, a, tt.quota, tt.alarm)
		}
	}
	if n := MaxGamesUnder(LowQuotaRequestsPerSecond); n != 251 {
		t.Errorf("a 2,500/s account serves %d games, docs/capacity.md says 251", n)
	}
	if len(LowQuotaRegions) != 13 {
		t.Errorf("%d low-quota Regions, API Gateway's quotas page names 13", len(LowQuotaRegions))
	}
}

// An address's share fits what honest players on one address send, and no handful of
// addresses at their share takes a default stage.
func TestAddressShare(t *testing.T) {
	const class = 30 // a class behind one school address: a link's check and join, three chat lines each
	if AddressFramesPerWindow < 5*class {
		t.Errorf("an address's share is %d frames a window: a class of %d opening a link and chatting at once sends %d", AddressFramesPerWindow, class, 5*class)
	}
	if n := Default().AddressesAtShareToFillStage(); n <= 5 {
		t.Errorf("%d addresses at their whole share take a default stage: a handful must not", n)
	}
	// A player's pace covers a link's check and join, chat lines and a rematch in 10 s;
	// closing comes after at least one refusal, and before the per-connection limit would.
	if PacedFramesPerWindow < 6 || ShareRefusalsToClose < 1 || FramesBeforeShareClose >= FramesPerWindow(RatePerConnection, BurstPerConnection) {
		t.Errorf("pace %d, closed at %d: want a pace of at least 3 and a close past it, before the per-connection limit's %d",
			PacedFramesPerWindow, FramesBeforeShareClose, FramesPerWindow(RatePerConnection, BurstPerConnection))
	}
}
