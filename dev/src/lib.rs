//! site-dev: the editing loop for a site (`make dev`), its validation (`make check`) and
//! `explain PATH`, all on the site planned in memory by the planner build.rs uses, answered by
//! the handler the Lambda binary runs (`site_server::handler::handle_site`).

pub mod check;
pub mod explain;
pub mod inject;
pub mod load;
pub mod serve;
pub mod watch;
