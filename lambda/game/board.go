// Package game is the referee: the rules of TicTacToe and the life of a room, as pure functions
// of the room's state. No AWS, no I/O; the clock and randomness are passed in.
package game

// Symbol is a player's mark and seat: X or O. The zero value means "nobody".
type Symbol string

const (
	None Symbol = ""
	X    Symbol = "X"
	O    Symbol = "O"
)

// Other is the opponent's symbol.
func (s Symbol) Other() Symbol {
	switch s {
	case X:
		return O
	case O:
		return X
	}
	return None
}

// Valid reports whether s is X or O.
func (s Symbol) Valid() bool { return s == X || s == O }

// Board is the 3×3 grid, cells 0..8 row by row.
type Board [9]Symbol

// Cells is the number of cells on the board.
const Cells = 9

// winLines are the eight lines that win, in a fixed order so the reported line is stable.
var winLines = [8][3]int{
	{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, // rows
	{0, 3, 6}, {1, 4, 7}, {2, 5, 8}, // columns
	{0, 4, 8}, {2, 4, 6}, // diagonals
}

// Winner returns the symbol holding a full line and that line, or None and nil.
func (b *Board) Winner() (Symbol, []int) {
	for _, l := range winLines {
		if s := b[l[0]]; s != None && b[l[1]] == s && b[l[2]] == s {
			return s, []int{l[0], l[1], l[2]}
		}
	}
	return None, nil
}

// Full reports whether every cell is taken.
func (b *Board) Full() bool {
	for _, s := range b {
		if s == None {
			return false
		}
	}
	return true
}
