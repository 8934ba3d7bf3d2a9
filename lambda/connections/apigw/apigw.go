// Package apigw is the connections.Sender over API Gateway's @connections management API
// (PostToConnection, DeleteConnection, GetConnection), on AWS and against the local gateway
// alike. It is apart from package connections so that a function that sends nothing (connect)
// does not link the SDK's client.
package apigw

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
)

// PostAPI is the part of *apigatewaymanagementapi.Client a Sender uses.
type PostAPI interface {
	PostToConnection(ctx context.Context, in *apigatewaymanagementapi.PostToConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
	DeleteConnection(ctx context.Context, in *apigatewaymanagementapi.DeleteConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.DeleteConnectionOutput, error)
	GetConnection(ctx context.Context, in *apigatewaymanagementapi.GetConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.GetConnectionOutput, error)
}

// APIGatewaySender is the Sender over @connections.
type APIGatewaySender struct {
	api PostAPI
}

var _ connections.Sender = (*APIGatewaySender)(nil)

// NewAPIGatewaySender sends through api.
func NewAPIGatewaySender(api PostAPI) *APIGatewaySender { return &APIGatewaySender{api: api} }

// NewClient is the @connections client for a stage's callback URL
// (https://{api-id}.execute-api.{region}.amazonaws.com/{stage}, or the local gateway's).
func NewClient(cfg aws.Config, callbackURL string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(callbackURL)
	})
}

// Send posts frame to the connection. It returns connections.ErrGone (wrapped) for a connection that no
// longer exists, so callers can drop it; other failures are returned with context.
func (s *APIGatewaySender) Send(ctx context.Context, connectionID string, frame []byte) error {
	_, err := s.api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
		ConnectionId: aws.String(connectionID),
		Data:         frame,
	})
	return classify(err, "posting to", connectionID)
}

// Close closes the connection (API Gateway then invokes $disconnect). A connection already
// gone is connections.ErrGone (wrapped).
func (s *APIGatewaySender) Close(ctx context.Context, connectionID string) error {
	_, err := s.api.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connectionID)})
	return classify(err, "closing", connectionID)
}

// Alive asks API Gateway whether the connection is open.
func (s *APIGatewaySender) Alive(ctx context.Context, connectionID string) (bool, error) {
	_, err := s.api.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(connectionID)})
	switch err = classify(err, "describing", connectionID); {
	case err == nil:
		return true, nil
	case errors.Is(err, connections.ErrGone):
		return false, nil
	}
	return false, err
}

func classify(err error, what, connectionID string) error {
	if err == nil {
		return nil
	}
	var gone *types.GoneException
	var resp *awshttp.ResponseError
	if errors.As(err, &gone) || (errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusGone) {
		return fmt.Errorf("%s %s: %w", what, connectionID, connections.ErrGone)
	}
	return fmt.Errorf("%s %s: %w", what, connectionID, err)
}
