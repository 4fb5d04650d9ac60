//! The sample site from a folder shipped beside the binary (`site/` in the zip), served by
//! tower-http's `ServeDir` through `lambda_http`: the usual way to put a static site on Lambda
//! in Rust. Precompressed `.br` and `.gz` files are used when a client accepts them (the bench
//! writes them beside each compressible file, as tower-http's docs expect), and the site's
//! `404.html` answers missing paths with status 404.

use lambda_http::{run, tracing, Error};
use tower_http::services::{ServeDir, ServeFile};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    // Beside the binary: /var/task/site on Lambda, wherever the bench unpacked the zip here.
    let exe = std::env::current_exe()?;
    let root = exe.parent().ok_or("the binary has no folder")?.join("site");
    let site = ServeDir::new(&root)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(ServeFile::new(root.join("404.html")));
    run(site).await
}
