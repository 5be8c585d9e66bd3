//! Where the Azure SQL store connects and how it signs in: an ADO.NET connection string (SQL
//! logins, tests, local SQL Server) or a server, a database and an Entra ID token source.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::retry::map_error;
use crate::store::StoreError;

/// One open connection.
pub(super) type Connection = Client<Compat<TcpStream>>;

/// Connections the pool opens at most, unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10;

/// How long opening a connection (TCP, TLS, login) may take before it counts as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a statement waits for another transaction's locks, in milliseconds: as long as
/// the SQLite store's busy timeout.
const LOCK_TIMEOUT_MS: u32 = 5_000;

/// Hands out Entra ID access tokens for Azure SQL. The token must be for the scope
/// `https://database.windows.net/.default`; asking for it (managed identity, workload
/// identity, a developer's CLI login) and caching it until shortly before it expires is the
/// implementation's concern. It is asked once per new connection.
#[async_trait]
pub trait TokenSource: Send + Sync + std::fmt::Debug {
    /// A currently valid access token.
    async fn token(&self) -> Result<String, StoreError>;
}

/// The scope of a token for Azure SQL.
pub const SQL_SCOPE: &str = "https://database.windows.net/.default";

#[async_trait]
impl TokenSource for crate::azure::AzureCredential {
    async fn token(&self) -> Result<String, StoreError> {
        match crate::azure::AzureCredential::token(self, SQL_SCOPE).await {
            Ok(token) => Ok(token.secret.expose().to_owned()),
            Err(e) if e.is_transient() => Err(StoreError::Unavailable(e.to_string())),
            Err(e) => Err(StoreError::Database(e.to_string())),
        }
    }
}

/// How to reach the database.
#[derive(Clone)]
pub struct MssqlConfig {
    tiberius: Config,
    /// Set for Entra ID sign-in: each new connection asks it for a fresh token.
    tokens: Option<Arc<dyn TokenSource>>,
    max_connections: usize,
    /// For `describe` and `Debug`: never the password.
    description: String,
}

impl std::fmt::Debug for MssqlConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MssqlConfig")
            .field("server", &self.description)
            .field("entra_id", &self.tokens.is_some())
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl MssqlConfig {
    /// From an ADO.NET connection string, e.g.
    /// `server=tcp:localhost,1433;user=sa;password=…;TrustServerCertificate=true;database=advisor`.
    /// Traffic is encrypted unless the string says `encrypt=false`.
    pub fn from_ado_string(ado: &str) -> Result<Self, StoreError> {
        let config = Config::from_ado_string(ado)
            .map_err(|e| StoreError::Database(format!("connection string: {e}")))?;
        let description = format!("Azure SQL {}", config.get_addr());
        Ok(Self {
            tiberius: config,
            tokens: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            description,
        })
    }

    /// Database `database` on `server` (`host`, `host,port` or `tcp:host,port`; port 1433 by
    /// default), signed in with Entra ID tokens from `tokens`, always over TLS with the
    /// server's certificate checked.
    pub fn with_token_source(
        server: &str,
        database: &str,
        tokens: Arc<dyn TokenSource>,
    ) -> Result<Self, StoreError> {
        let server = server.trim().trim_start_matches("tcp:");
        let (host, port) = match server.split_once(',') {
            Some((host, port)) => (
                host,
                port.trim()
                    .parse::<u16>()
                    .map_err(|e| StoreError::Database(format!("server port `{port}`: {e}")))?,
            ),
            None => (server, 1433),
        };
        let mut config = Config::new();
        config.host(host);
        config.port(port);
        config.database(database);
        config.encryption(EncryptionLevel::Required);
        Ok(Self {
            description: format!("Azure SQL {host}:{port}/{database}"),
            tiberius: config,
            tokens: Some(tokens),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        })
    }

    /// At most `max` connections open at once (at least one).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The same server, another database (tests create their own).
    #[cfg(test)]
    pub(crate) fn with_database(mut self, database: &str) -> Self {
        self.tiberius.database(database);
        self.description = format!("{} ({database})", self.description);
        self
    }

    pub(super) fn pool_size(&self) -> usize {
        self.max_connections
    }

    pub(super) fn description(&self) -> &str {
        &self.description
    }

    /// Opens and signs in one connection, following one Azure gateway redirect.
    pub(super) async fn connect(&self) -> Result<Connection, StoreError> {
        let mut config = self.tiberius.clone();
        if let Some(tokens) = &self.tokens {
            config.authentication(AuthMethod::aad_token(tokens.token().await?));
        }
        let mut client = tokio::time::timeout(CONNECT_TIMEOUT, connect_following_redirect(config))
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!("{}: connect timed out", self.description))
            })??;
        // SQL Server waits for another transaction's locks for ever by default: a request
        // behind a long writer would hang rather than answer 503. This makes such a statement
        // fail after a while with error 1222, which the retry treats as transient.
        client
            .simple_query(format!("SET LOCK_TIMEOUT {LOCK_TIMEOUT_MS}"))
            .await
            .map_err(map_error)?
            .into_results()
            .await
            .map_err(map_error)?;
        Ok(client)
    }
}

async fn connect_following_redirect(mut config: Config) -> Result<Connection, StoreError> {
    let mut redirected = false;
    loop {
        let tcp = TcpStream::connect(config.get_addr())
            .await
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", config.get_addr())))?;
        tcp.set_nodelay(true)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        match Client::connect(config.clone(), tcp.compat_write()).await {
            Ok(client) => return Ok(client),
            // Azure SQL's "redirect" connection policy sends the client to the node itself.
            Err(tiberius::error::Error::Routing { host, port }) if !redirected => {
                config.host(&host);
                config.port(port);
                redirected = true;
            }
            Err(e) => return Err(map_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct NoTokens;

    #[async_trait]
    impl TokenSource for NoTokens {
        async fn token(&self) -> Result<String, StoreError> {
            Err(StoreError::Unavailable("no token".into()))
        }
    }

    #[test]
    fn a_connection_string_gives_the_server_and_hides_the_password() {
        let config = MssqlConfig::from_ado_string(
            "server=tcp:db.example.net,14330;user=sa;password=Secret-1;database=advisor",
        )
        .unwrap();
        assert_eq!(config.description(), "Azure SQL db.example.net:14330");
        assert!(!format!("{config:?}").contains("Secret-1"));
        assert_eq!(config.pool_size(), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(config.max_connections(0).pool_size(), 1);
    }

    #[test]
    fn an_entra_id_server_takes_the_default_port_unless_given_one() {
        let tokens: Arc<dyn TokenSource> = Arc::new(NoTokens);
        let config =
            MssqlConfig::with_token_source("tcp:x.database.windows.net", "advisor", tokens.clone())
                .unwrap();
        assert_eq!(
            config.description(),
            "Azure SQL x.database.windows.net:1433/advisor"
        );
        let config = MssqlConfig::with_token_source("x,1444", "advisor", tokens.clone()).unwrap();
        assert_eq!(config.description(), "Azure SQL x:1444/advisor");
        assert!(MssqlConfig::with_token_source("x,port", "advisor", tokens).is_err());
    }

    #[tokio::test]
    async fn a_token_source_failure_is_reported_before_any_connection() {
        let config =
            MssqlConfig::with_token_source("127.0.0.1,9", "advisor", Arc::new(NoTokens)).unwrap();
        let error = config.connect().await.err().unwrap();
        assert!(error.to_string().contains("no token"));
    }
}
