package game

import (
	"fmt"
	"sync"
)

// Level is how well the computer plays.
type Level string

const (
	// Easy takes a win it sees and otherwise plays at random: a beginner can beat it.
	Easy Level = "easy"
	// Medium takes a win, blocks a loss, and otherwise plays the best move half the time.
	Medium Level = "medium"
	// Perfect plays a best move every time: it never loses.
	Perfect Level = "perfect"
)

// DefaultLevel is the computer's level when none is asked for.
const DefaultLevel = Perfect

// ParseLevel reads a level; "" is DefaultLevel.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case "":
		return DefaultLevel, nil
	case Easy, Medium, Perfect:
		return l, nil
	}
	return "", fmt.Errorf("level %q: use easy, medium or perfect", s)
}

// ComputerMove is the cell the computer plays as me on b at level. pick(n) returns a number
// in [0, n): the randomness (a seeded source in tests). b must have a free cell and no winner.
func ComputerMove(b Board, me Symbol, level Level, pick func(n int) int) int {
	free := b.freeCells()
	if win := b.completing(me); win >= 0 {
		return win // every level takes a win it sees
	}
	switch level {
	case Easy:
		return free[pick(len(free))]
	case Medium:
		if block := b.completing(me.Other()); block >= 0 {
			return block
		}
		if pick(2) == 0 {
			return free[pick(len(free))]
		}
	}
	best := BestMoves(b, me)
	return best[pick(len(best))]
}

// BestMoves are the cells where me gets the best outcome with perfect play from both sides
// (a win, else a draw), in cell order.
func BestMoves(b Board, me Symbol) []int {
	var best []int
	bestScore := -2
	for _, c := range b.freeCells() {
		b[c] = me
		score := -negamax(&b, me.Other())
		b[c] = None
		switch {
		case score > bestScore:
			best, bestScore = []int{c}, score
		case score == bestScore:
			best = append(best, c)
		}
	}
	return best
}

// outcomes memoizes negamax: a board and whose turn it is (the board says: X opens... but a
// rematch may open with O, so the mover is part of the key). There are a few thousand.
var (
	outcomesMu sync.Mutex
	outcomes   = map[position]int{}
)

type position struct {
	b      Board
	toMove Symbol
}

// negamax is the outcome for toMove with perfect play: 1 a win, 0 a draw, -1 a loss.
func negamax(b *Board, toMove Symbol) int {
	key := position{*b, toMove}
	outcomesMu.Lock()
	v, ok := outcomes[key]
	outcomesMu.Unlock()
	if ok {
		return v
	}
	v = search(b, toMove)
	outcomesMu.Lock()
	outcomes[key] = v
	outcomesMu.Unlock()
	return v
}

func search(b *Board, toMove Symbol) int {
	if w, _ := b.Winner(); w != None {
		if w == toMove {
			return 1
		}
		return -1
	}
	if b.Full() {
		return 0
	}
	best := -2
	for c := range Cells {
		if b[c] != None {
			continue
		}
		b[c] = toMove
		best = max(best, -negamax(b, toMove.Other()))
		b[c] = None
		if best == 1 {
			break
		}
	}
	return best
}

func (b *Board) freeCells() []int {
	var free []int
	for c, s := range b {
		if s == None {
			free = append(free, c)
		}
	}
	return free
}

// completing is a free cell that gives s a full line, or -1.
func (b *Board) completing(s Symbol) int {
	for _, l := range winLines {
		n, empty := 0, -1
		for _, c := range l {
			switch b[c] {
			case s:
				n++
			case None:
				empty = c
			}
		}
		if n == 2 && empty >= 0 {
			return empty
		}
	}
	return -1
}
