// Package jsiiexit closes the jsii runtime without its one false alarm. jsii-runtime-go waits
// for its node child twice, in a goroutine started with the child and again in Close; the
// loser of that race prints "Runtime process exited abnormally: waitid: no child processes"
// (with no newline, so it sticks to the next line) although the child exited cleanly. Quiet
// drops exactly that message from os.Stderr and passes everything else.
package jsiiexit

import (
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/aws/jsii-runtime-go"
)

// RaceMessage is what the losing wait prints.
const RaceMessage = "Runtime process exited abnormally: waitid: no child processes"

// Quiet routes os.Stderr through the filter. It returns the original standard error, for
// what the caller writes after the runtime is closed, and closeRuntime, which closes the jsii
// runtime and then drains the filter: call it once, last. The race's message, printed just
// after Close returns, then finds os.Stderr closed and goes nowhere.
func Quiet() (stderr *os.File, closeRuntime func()) {
	orig := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return orig, jsii.Close // no filter: the noise is harmless
	}
	os.Stderr = w
	done := make(chan struct{})
	go func() {
		defer close(done)
		Filter(orig, r) // errors writing to the real stderr leave nothing better to do
		r.Close()
	}()
	var once sync.Once
	return orig, func() {
		once.Do(func() {
			jsii.Close()
			w.Close()
			<-done
		})
	}
}

// Filter copies src to dst without RaceMessage, which may arrive split across reads.
func Filter(dst io.Writer, src io.Reader) error {
	var pending []byte
	buf := make([]byte, 32*1024)
	msg := []byte(RaceMessage)
	for {
		n, err := src.Read(buf)
		pending = append(pending, buf[:n]...)
		pending = bytes.ReplaceAll(pending, msg, nil)
		// Hold back a tail that could be the start of the message.
		keep := 0
		for k := min(len(msg)-1, len(pending)); k > 0; k-- {
			if bytes.HasSuffix(pending, msg[:k]) {
				keep = k
				break
			}
		}
		if err != nil {
			keep = 0
		}
		if out := pending[:len(pending)-keep]; len(out) > 0 {
			if _, werr := dst.Write(out); werr != nil {
				return werr
			}
		}
		pending = append(pending[:0], pending[len(pending)-keep:]...)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
