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
		{1, 1, 2, 1, 2, MinGameConcurrency},
		{DefaultGames, 100, 200, 10, 30, 20},
		{1000, 1000, 2000, 100, 300, 200},
		{MaxGames, 3000, 6000, 300, 900, 600},
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
	for _, games := range []int{0, -1, MaxGames + 1} {
		if err := (Model{Games: games}).Validate(); err == nil {
			t.Errorf("%d games: no error", games)
		}
	}
	if FramesOutPerFrameIn != 8 {
		t.Errorf("worst fan-out %d frames, docs/capacity.md says 8", FramesOutPerFrameIn)
	}
}
