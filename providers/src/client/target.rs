//! Who a request goes to: a service, or IAM itself.

use rewind_engine::kinds::Service;

#[derive(Clone, Copy)]
pub(super) enum Target {
    Service(Service),
    Iam,
}

impl Target {
    pub(super) fn label(self) -> &'static str {
        match self {
            Target::Service(s) => s.as_str(),
            Target::Iam => "iam",
        }
    }
}
