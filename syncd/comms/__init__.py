"""The communication plan: who gets which report, when, in which form, through which channel.

`config` holds the `[[communication]]` model; `render` turns a status into an e-mail, a Slack
message or a Teams card; `mail` and `chat` send them; `delivery` keeps each delivery once
(keyed by client, entry and status date) through the job queue; `plan` says what is due;
`feedback` signs and stores the client's answers.
"""
