"""What an operator watches: structured logs (`logs`), a request id and one event per request
(`requests`), and the route templates both label requests with (`routes`)."""
