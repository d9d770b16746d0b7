//! The details a client asks for after the sign-in (progressive profiling), and the
//! documents it asks the person to agree to.

use super::*;
use portcullis_shared::profile::ProfileAnswers;

impl Session {
    /// Sends the answers (an empty set skips what may be skipped); the flow then ends.
    pub async fn answer_profile(
        self,
        email: Option<String>,
        answers: ProfileAnswers,
    ) -> Result<(), Failure> {
        self.reported(email.as_deref(), async {
            let flow_id = self.flow_id_now().ok_or(Failure::FlowExpired)?;
            let outcome = self.api().profile(&flow_id, &answers).await?;
            let method = self.env.with_value(|env| env.first_factor.get());
            self.finish(email.clone(), outcome, method).await
        })
        .await
    }
}
