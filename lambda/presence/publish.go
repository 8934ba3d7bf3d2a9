package presence

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// Publisher sends events somewhere: SNS on AWS, the log locally.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// PublishAPI is the part of *sns.Client the SNS publisher uses.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes each event as one message to a topic.
type SNSPublisher struct {
	api   PublishAPI
	topic string
}

var _ Publisher = (*SNSPublisher)(nil)

// NewSNSPublisher publishes to the topic with ARN topicARN.
func NewSNSPublisher(api PublishAPI, topicARN string) *SNSPublisher {
	return &SNSPublisher{api: api, topic: topicARN}
}

// Publish sends e as JSON, with its type and room as message attributes and a subject an email
// reader understands.
func (p *SNSPublisher) Publish(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding %s event: %w", e.Type, err)
	}
	_, err = p.api.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.topic),
		Subject:  aws.String(Subject(e)),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			eventtype.Attribute:     {DataType: aws.String("String"), StringValue: aws.String(string(e.Type))},
			eventtype.RoomAttribute: {DataType: aws.String("String"), StringValue: aws.String(e.Room)},
		},
	})
	if err != nil {
		return fmt.Errorf("publishing %s for room %s: %w", e.Type, e.Room, err)
	}
	return nil
}

// Subject is a one-line summary (SNS subjects are ASCII, at most 100 characters).
func Subject(e Event) string {
	s := fmt.Sprintf("TicTacToe: %s in room %s", e.Type, e.Room)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
