package bosbase

// RecordService is the API of one collection, from Client.Collection. Its operation
// methods (BindCustomToken, AuthWithToken, ... and their ...Ctx forms) are generated
// from the core's operation table into operations_gen.go.
//
// The trailing body, query and headers arguments are optional (nil): body fields are
// merged into the request's JSON body, query into its query string, headers into
// its headers (an Authorization header set here wins over the auth store).
type RecordService struct {
	client *Client
	name   string
}

// Send sends a request to path relative to this collection ("/bind-token" →
// /api/collections/{collection}/bind-token) and returns the decoded JSON answer
// (nil for an empty body). Nothing is saved in the auth store.
func (s *RecordService) Send(path string, opts SendOptions) (any, error) {
	return s.client.send(s.name, true, path, opts)
}
