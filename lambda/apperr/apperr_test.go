package apperr

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// Codes is the list the page's contract test is held to (lambda/protocol): a code declared
// here but left out of it would reach players with no sentence of the page's own.
func TestCodesListsEveryDeclaredCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "apperr.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, val := range v.Values {
				s, err := strconv.Unquote(val.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				declared = append(declared, Code(s))
			}
		}
	}
	listed := Codes()
	slices.Sort(declared)
	slices.Sort(listed)
	if len(declared) == 0 || !slices.Equal(declared, listed) {
		t.Errorf("apperr.go declares %v, Codes() lists %v", declared, listed)
	}
}

func TestErrorSaysItsFieldAndDetail(t *testing.T) {
	tests := []struct {
		name              string
		err               *Error
		field, message, s string
	}{
		{"a field at fault", New(BadRequest, "Names are limited to %d characters.", 24).On("name"), "name", "Names are limited to 24 characters.", "bad_request: Names are limited to 24 characters."},
		{"the frame as a whole", New(TooLarge, "Frames are limited to 4096 bytes."), "", "Frames are limited to 4096 bytes.", "too_large: Frames are limited to 4096 bytes."},
		{"no detail: the code", &Error{Code: RoomFull}, "", "room_full", "room_full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Field != tt.field || tt.err.Message() != tt.message || tt.err.Error() != tt.s {
				t.Errorf("field %q, message %q, error %q; want %q, %q, %q", tt.err.Field, tt.err.Message(), tt.err.Error(), tt.field, tt.message, tt.s)
			}
		})
	}
}
