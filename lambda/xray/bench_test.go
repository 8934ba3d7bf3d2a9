package xray_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
)

// What tracing adds to an invocation it passes over, at the default rate: reading the
// header and deciding (docs/tracing.md quotes it).
func BenchmarkAnInvocationPassedOver(b *testing.B) {
	tracer := xray.New(xray.Options{Name: "game", Daemon: "127.0.0.1:2000", Rate: capacity.TraceSampleRate})
	ctx := xray.WithHeader(context.Background(), "Root=1-6760f0a0-a006649127e371903a2de979;Lineage=061379e8:0")
	b.ReportAllocs()
	for b.Loop() {
		_, tr := tracer.Start(ctx, xray.HeaderOf(ctx))
		tr.End()
	}
}

// What a traced move adds: its segment, four calls (a read, a write, two posts) and the
// datagram to the daemon.
func BenchmarkATracedMove(b *testing.B) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := conn.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	tracer := xray.New(xray.Options{Name: "game", Daemon: conn.LocalAddr().String(), Rate: 1})
	ctx := xray.WithHeader(context.Background(), "Root=1-6760f0a0-a006649127e371903a2de979;Lineage=061379e8:0")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_, tr := tracer.Start(ctx, xray.HeaderOf(ctx))
		for _, op := range []string{"GetItem", "PutItem", "PostToConnection", "PostToConnection"} {
			xray.AddForBenchmark(tr, xray.Call{Service: "DynamoDB", Operation: op, Region: "eu-west-1", RequestID: "REQ", TableName: "games", Status: 200, Start: now, End: now})
		}
		tr.Set("move", "ABC234", xray.OK)
		tr.End()
	}
}
