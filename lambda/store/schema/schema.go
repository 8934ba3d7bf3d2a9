// Package schema is the game table's layout: the contract between lambda/store (which reads
// and writes it), the CDK table construct (which creates it) and the presence pipeline's stream
// filters (which match on it). It is a leaf package, so the CDK app reads it without linking
// the DynamoDB client.
package schema

const (
	// PartitionKey is the table's only key attribute (string): "ROOM#<code>", "CONN#<id>",
	// "SRC#<source key>[#<window>]", "QUEUE#quick", "REGION#<name>", "CALLBACK#<name>",
	// "CHAT#<code>[#<slot>]", and "PLAYER#<id>", "SEATS#<id>", "GONE#<hash>", "BOARD#top" and
	// "BOARD#bands" (lambda/players).
	PartitionKey = "pk"
	// TTLAttribute holds each item's expiry in epoch seconds: the table's TTL attribute.
	TTLAttribute = "expiresAt"
	// KindAttribute says what an item is: KindRoom, KindConnection, KindSource, KindQueue,
	// KindRegion, KindCallbackURL, KindChat or KindMarker.
	KindAttribute = "kind"
	// PresenceChangedAttribute (BOOL) is true on the room writes that change a seat, who is
	// online, or abandon the room: the presence pipeline's stream filter matches on it.
	PresenceChangedAttribute = "presenceChanged"
	// HomeAttribute (S) is, in a multi-Region deployment, the Region whose replica takes a
	// room's writes (every room write there names it); absent in one Region. Each Region's
	// presence filter matches on it.
	HomeAttribute  = "home"
	KindRoom       = "room"
	KindConnection = "connection"
	// KindSource is what one source address's probing cost it (lambda/guard); KindSourceFrames
	// the frames its connections sent together in one 10-second window ("SRC#<source
	// key>#<window start>"), for its share of the stage.
	KindSource       = "source"
	KindSourceFrames = "sourceFrames"
	// KindQueue is the quick-match queue: the players waiting for a stranger.
	KindQueue = "queue"
	// KindRegion marks a Region of a multi-Region deployment failed ("REGION#<name>"): the
	// others may then take its rooms over (docs/regions.md).
	KindRegion = "region"
	// KindCallbackURL is a Region's @connections URL in a multi-Region deployment
	// (CallbackURLKeyPrefix + the Region's name, the URL in CallbackURLAttribute): written at
	// deploy time by that Region's Links stack, read by every Region's functions that send
	// frames (docs/regions.md). It never expires.
	KindCallbackURL = "callbackUrl"
	// CallbackURLKeyPrefix and CallbackURLAttribute are a KindCallbackURL item's key prefix and
	// the attribute (S) holding its URL.
	CallbackURLKeyPrefix = "CALLBACK#"
	CallbackURLAttribute = "url"
	// KindChat is a room's chat: its message counter ("CHAT#<code>") and its last messages
	// ("CHAT#<code>#<slot>").
	KindChat = "chat"
	// KindMarker is the presence function's record that it published a stream record's events.
	KindMarker = "marker"
	// KindPlayer is an anonymous player's profile ("PLAYER#<id>"): secret hash, stats, rating
	// and history; KindBoard the leaderboard ("BOARD#top") and KindBands the rating bands'
	// counts ("BOARD#bands"). docs/privacy.md says what each keeps and for how long.
	KindPlayer = "player"
	KindBoard  = "board"
	KindBands  = "bands"
	// KindSeats lists the rooms a player sat in ("SEATS#<id>"), for erasure; KindErased marks
	// an erased player for a while ("GONE#<hash of the id>").
	KindSeats  = "seats"
	KindErased = "erased"
)
