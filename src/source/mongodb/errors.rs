//! What goes wrong talking to MongoDB, in the user's terms and sorted into transient (a network
//! error, a server that is stepping down, starting or stopping: the same query may pass later
//! or on another member) and final (authentication, a bad query, an unknown command: sending
//! it again gives the same answer). Messages come from the driver's typed errors and never hold
//! the connection string, so a password cannot reach them.

use std::io::ErrorKind as Io;

use mongodb::error::{CommandError, Error, ErrorKind};
use mongodb::event::sdam::TopologyDescription;
use mongodb::options::ServerAddress;

use crate::source::SourceError;
use crate::source::server::Failure;
use crate::source::sql::errors::is_lookup_failure;

/// Server error codes after which the same read may pass: the member is not (or no longer) a
/// primary or secondary, is shutting down, or could not reach another host (MongoDB's
/// `error_codes.yml`; the driver retries reads on the same set).
const TRANSIENT_CODES: [i32; 14] = [
    6,     // HostUnreachable
    7,     // HostNotFound
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    134,   // ReadConcernMajorityNotAvailableYet
    189,   // PrimarySteppedDown
    262,   // ExceededTimeLimit
    9001,  // SocketException
    10058, // LegacyNotPrimary
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
];

/// Labels the server or the driver puts on errors worth retrying.
const TRANSIENT_LABELS: [&str; 2] = [
    mongodb::error::RETRYABLE_ERROR,
    mongodb::error::SYSTEM_OVERLOADED_ERROR,
];

/// `message` as a transient or a final error.
fn error(message: String, transient: bool) -> SourceError {
    if transient {
        SourceError::transient(message)
    } else {
        SourceError::Failed(message)
    }
}

/// Phrases and classifies a driver error, and says what it means for the client: a
/// [`Failure::Server`] when the server answered (whatever the command started there is
/// over), a [`Failure::Client`] when the connection was lost or the reply unreadable (the
/// run's client is shut down, which also ends its cursor on the server).
#[must_use]
pub fn classify(e: &Error) -> Failure {
    let labelled = TRANSIENT_LABELS.iter().any(|l| e.contains_label(l));
    let (message, transient, answered) = match e.kind.as_ref() {
        ErrorKind::Command(c) => (command_message(c), TRANSIENT_CODES.contains(&c.code), true),
        ErrorKind::Authentication { message, .. } => {
            (format!("authentication failed: {message}"), false, true)
        }
        ErrorKind::Io(io) => (lost(io), true, false),
        ErrorKind::ConnectionPoolCleared { message, .. } => {
            (format!("connection lost: {message}"), true, false)
        }
        ErrorKind::ServerSelection { message, .. } => (
            format!("no server to read from: {}", first_line(message)),
            true,
            false,
        ),
        // A server that refuses a command without the `code` every MongoDB error reply has
        // (nx-27017 does this): the driver cannot read the reply, its text is lost.
        ErrorKind::InvalidResponse { message, .. }
            if message.starts_with("error deserializing command error") =>
        {
            (
                "the server refused the query, in an error reply without a code (the driver \
                 cannot read why)"
                    .to_owned(),
                false,
                true,
            )
        }
        ErrorKind::InvalidResponse { message, .. } => (
            format!("the server sent a reply the driver cannot read: {message}"),
            false,
            false,
        ),
        ErrorKind::InvalidArgument { message, .. }
        | ErrorKind::IncompatibleServer { message, .. } => (message.clone(), false, true),
        _ => (e.kind.to_string(), false, false),
    };
    let error = error(message, transient || labelled);
    if answered {
        Failure::Server(error)
    } else {
        Failure::Client(error)
    }
}

/// The server's own words, with the error's name when it sent one:
/// `unknown operator: $bogus (BadValue)`.
fn command_message(c: &CommandError) -> String {
    match (c.message.trim(), c.code_name.as_str()) {
        ("", "") => format!("the server refused the query (code {})", c.code),
        ("", name) => format!("the server refused the query ({name})"),
        (m, "") => m.to_owned(),
        (m, name) => format!("{m} ({name})"),
    }
}

/// What happened to a connection that was open.
fn lost(io: &std::io::Error) -> String {
    match io.kind() {
        Io::UnexpectedEof | Io::ConnectionReset | Io::BrokenPipe | Io::ConnectionAborted => {
            "connection lost: closed by the server".to_owned()
        }
        Io::TimedOut => "connection lost: timed out".to_owned(),
        _ => format!("connection lost: {io}"),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

/// Why no server of the topology can be reached at all, when that is certain: every server
/// it knows failed to connect for a reason waiting will not cure soon (refused, unknown host,
/// TLS), or none of the hosts is a member of the replica set the URL names. `None` while some
/// server answers, or may still (not checked yet, or only timing out: the source's timeout
/// decides those).
#[must_use]
pub fn unreachable(topology: &TopologyDescription, set_name: Option<&str>) -> Option<String> {
    let servers = topology.servers();
    if servers.is_empty() {
        return set_name
            .map(|set| format!("no host in the URL is a member of replica set \"{set}\""));
    }
    let mut reasons = Vec::with_capacity(servers.len());
    for (address, info) in servers {
        reasons.push(connect_failure(address, info.error()?)?);
    }
    reasons.sort();
    Some(reasons.join("; "))
}

/// A failure to connect to `address` that is certain, phrased as the SQL kinds phrase it:
/// `connection refused: 127.0.0.1:27018`.
fn connect_failure(address: &ServerAddress, e: &Error) -> Option<String> {
    match e.kind.as_ref() {
        ErrorKind::Io(io) => match io.kind() {
            Io::ConnectionRefused => Some(format!("connection refused: {address}")),
            Io::HostUnreachable | Io::NetworkUnreachable | Io::AddrNotAvailable => {
                Some(format!("cannot reach {address}: {io}"))
            }
            _ if is_lookup_failure(io) => {
                Some(format!("cannot resolve host \"{}\"", host(address)))
            }
            _ if io.kind() == Io::InvalidData => Some(format!("TLS with {address} failed: {io}")),
            _ => None,
        },
        ErrorKind::DnsResolve { message, .. } => {
            Some(format!("cannot resolve {address}: {message}"))
        }
        ErrorKind::InvalidTlsConfig { message, .. } => {
            Some(format!("TLS with {address}: {message}"))
        }
        _ => None,
    }
}

fn host(address: &ServerAddress) -> String {
    match address {
        ServerAddress::Tcp { host, .. } => host.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(code: i32, name: &str, message: &str) -> Error {
        let reply = bson::doc! {"ok": 0, "code": code, "codeName": name, "errmsg": message};
        let c: CommandError = bson::deserialize_from_document(reply).unwrap();
        Error::from(ErrorKind::Command(c))
    }

    #[test]
    fn server_errors_keep_the_servers_words_and_classify_by_code() {
        let cases = [
            (
                command(2, "BadValue", "unknown operator: $bogus"),
                "unknown operator: $bogus (BadValue)",
                false,
            ),
            (
                command(59, "CommandNotFound", "no such command: 'fnd'"),
                "no such command: 'fnd' (CommandNotFound)",
                false,
            ),
            (
                command(10107, "NotWritablePrimary", "not primary"),
                "not primary (NotWritablePrimary)",
                true,
            ),
            (
                command(91, "ShutdownInProgress", "shutting down"),
                "shutting down (ShutdownInProgress)",
                true,
            ),
            (
                command(0, "", "Operator '$where' is not implemented"),
                "Operator '$where' is not implemented",
                false,
            ),
        ];
        for (e, message, transient) in cases {
            let Failure::Server(f) = classify(&e) else {
                panic!("{message}: the server answered");
            };
            assert_eq!(f.to_string(), message);
            assert_eq!(f.is_transient(), transient, "{message}");
        }
    }

    #[test]
    fn a_lost_connection_says_so_and_is_transient() {
        let io = |kind| Error::from(ErrorKind::Io(std::io::Error::from(kind).into()));
        let Failure::Client(lost) = classify(&io(Io::UnexpectedEof)) else {
            panic!("a lost connection is the client's");
        };
        assert_eq!(lost.to_string(), "connection lost: closed by the server");
        assert!(lost.is_transient());
        let Failure::Client(refused) = classify(&io(Io::ConnectionRefused)) else {
            panic!("a refused connection is the client's");
        };
        assert_eq!(refused.to_string(), "connection lost: connection refused");
    }

    #[test]
    fn certain_connect_failures_are_named_and_timeouts_are_not() {
        let addr = ServerAddress::Tcp {
            host: "db.example".into(),
            port: Some(27018),
        };
        let io = |e: std::io::Error| Error::from(ErrorKind::Io(e.into()));
        assert_eq!(
            connect_failure(&addr, &io(Io::ConnectionRefused.into())).as_deref(),
            Some("connection refused: db.example:27018")
        );
        assert_eq!(
            connect_failure(
                &addr,
                &io(std::io::Error::other(
                    "failed to lookup address information: Name or service not known"
                ))
            )
            .as_deref(),
            Some("cannot resolve host \"db.example\"")
        );
        assert_eq!(connect_failure(&addr, &io(Io::TimedOut.into())), None);
    }
}
