"""The communication plan: who gets which report, when, in which form, through which channel.

`config` holds the `[[communication]]` model; `render`, `charts`, `pdf`, `ics` and `compose`
turn a status into an e-mail, a Slack message or a Teams card; `mail` and `chat` send them;
`delivery` keeps each delivery once (keyed by client, entry and status date) through the job
queue; `due` says what is due (cadences, triggers); `feedback` signs links and stores answers;
`sink` is a real SMTP server for the demo and the tests, `demo` and `showcase` the demo's part.
"""
