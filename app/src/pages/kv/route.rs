//! Where a KV page is: `/secrets/MOUNT/list/FOLDER/`, `/secrets/MOUNT/show/PATH`,
//! `/secrets/MOUNT/create`, `/secrets/MOUNT/edit/PATH`. Mount paths may contain `/`.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvView {
    /// A folder, `""` for the mount's top, else ending in `/`.
    List(String),
    Show(String),
    Create,
    Edit(String),
}

/// Splits what follows `/secrets/` into the mount and the view. The first marker wins, so
/// secret paths may have `list`, `show` or `edit` segments of their own.
pub fn parse(rest: &str) -> Option<(String, KvView)> {
    type MakeView = fn(String) -> KvView;
    let markers: [(&str, MakeView); 3] = [
        ("/list/", KvView::List),
        ("/show/", KvView::Show),
        ("/edit/", KvView::Edit),
    ];
    let first = markers
        .iter()
        .filter_map(|(marker, make)| rest.find(marker).map(|at| (at, *marker, *make)))
        .min_by_key(|(at, _, _)| *at);
    if let Some((at, marker, make)) = first {
        let mount = &rest[..at];
        let path = rest[at + marker.len()..].to_string();
        if mount.is_empty() {
            return None;
        }
        let is_secret_path = !path.is_empty() && !path.ends_with('/');
        return match make(path) {
            KvView::List(folder) => Some((mount.into(), KvView::List(as_folder(&folder)))),
            view if is_secret_path => Some((mount.into(), view)),
            _ => None,
        };
    }
    if let Some(mount) = rest.strip_suffix("/list") {
        return (!mount.is_empty()).then(|| (mount.to_string(), KvView::List(String::new())));
    }
    rest.strip_suffix("/create")
        .filter(|m| !m.is_empty())
        .map(|m| (m.to_string(), KvView::Create))
}

fn as_folder(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// App paths for links.
pub fn list_href(mount: &str, folder: &str) -> String {
    format!("/secrets/{mount}/list/{folder}")
}

pub fn show_href(mount: &str, path: &str) -> String {
    format!("/secrets/{mount}/show/{path}")
}

/// The folder a secret path lives in (`a/b/c` → `a/b/`).
pub fn parent_folder(path: &str) -> String {
    match path.trim_end_matches('/').rfind('/') {
        Some(at) => path[..=at].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_views_with_slashes_in_mounts() {
        assert_eq!(
            parse("kv/list/"),
            Some(("kv".into(), KvView::List(String::new())))
        );
        assert_eq!(
            parse("kv/list"),
            Some(("kv".into(), KvView::List(String::new())))
        );
        assert_eq!(
            parse("kv/list/a/b"),
            Some(("kv".into(), KvView::List("a/b/".into())))
        );
        assert_eq!(
            parse("team/kv/show/a/b/c"),
            Some(("team/kv".into(), KvView::Show("a/b/c".into())))
        );
        assert_eq!(
            parse("kv/edit/app"),
            Some(("kv".into(), KvView::Edit("app".into())))
        );
        assert_eq!(
            parse("team/kv/create"),
            Some(("team/kv".into(), KvView::Create))
        );
        assert_eq!(parse("kv/show/"), None);
        assert_eq!(parse("kv/show/folder/"), None);
        assert_eq!(parse("kv/configuration"), None);
    }

    #[test]
    fn secret_paths_may_have_segments_named_like_views() {
        assert_eq!(
            parse("kv/show/team/list/x"),
            Some(("kv".into(), KvView::Show("team/list/x".into())))
        );
        assert_eq!(
            parse("kv/edit/a/show/b"),
            Some(("kv".into(), KvView::Edit("a/show/b".into())))
        );
        assert_eq!(
            parse("kv/list/edit/"),
            Some(("kv".into(), KvView::List("edit/".into())))
        );
    }

    #[test]
    fn parents() {
        assert_eq!(parent_folder("a/b/c"), "a/b/");
        assert_eq!(parent_folder("c"), "");
    }
}
