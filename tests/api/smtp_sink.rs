//! A real SMTP server for the mail tests, std only: a listener on 127.0.0.1 and a thread per
//! connection, speaking enough of RFC 5321 for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT). It keeps what it received. Started on a chosen port, it plays a mail server
//! that comes back after an outage.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One message as the server saw it: the envelope and the DATA, dot-unstuffed.
#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    /// Answer every RCPT with a permanent 550, as for an unknown mailbox.
    reject_recipients: AtomicBool,
    stopped: AtomicBool,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_on(0)
    }

    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let shared = accepting.clone();
                    std::thread::spawn(move || {
                        let _ = serve(stream, &shared);
                    });
                }
            }
        });
        Self { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn reject_recipients(&self, reject: bool) {
        self.shared
            .reject_recipients
            .store(reject, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared
            .messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits, up to 15 seconds, until `count` messages arrived; async so the server and its
    /// mail worker keep running meanwhile.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..150 {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected {count} messages, the SMTP sink has {}",
            self.messages().len()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag and lets the port go.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 sink.test ESMTP test sink\r\n")?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || shared.stopped.load(Ordering::SeqCst) {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                out.write_all(b"250-sink.test greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?
            }
            "HELO" => out.write_all(b"250 sink.test\r\n")?,
            "MAIL" => {
                mail_from = address_in(&command);
                rcpt_to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            "RCPT" if shared.reject_recipients.load(Ordering::SeqCst) => {
                out.write_all(b"550 5.1.1 No such mailbox here\r\n")?
            }
            "RCPT" => {
                rcpt_to.push(address_in(&command));
                out.write_all(b"250 OK\r\n")?;
            }
            "DATA" if rcpt_to.is_empty() => out.write_all(b"554 No valid recipients\r\n")?,
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let data = read_data(&mut reader)?;
                shared
                    .messages
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Received {
                        mail_from: std::mem::take(&mut mail_from),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                    });
                out.write_all(b"250 OK queued\r\n")?;
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            "NOOP" => out.write_all(b"250 OK\r\n")?,
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 Command not implemented\r\n")?,
        }
    }
}

/// `MAIL FROM:<a@b> BODY=8BITMIME` -> `a@b`.
fn address_in(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

/// Lines up to the lone `.`, with the transparency dot removed (RFC 5321 §4.5.2).
fn read_data(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
