//! The capabilities a guest can invoke, by wire name, and what each needs.
//!
//! The wire names are the guest contract of the brief's section 4, identical in
//! every language. A new capability is one variant here plus its dispatch in
//! the broker: no runtime changes, since every runtime carries calls as
//! `(wire name, JSON)`.

use crate::permission::Permission;

/// One capability of the host API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `http.fetch`.
    HttpFetch,
    /// `vault.get`.
    VaultGet,
    /// `vault.set`.
    VaultSet,
    /// `events.emit`.
    EventsEmit,
    /// `fs.read`.
    FsRead,
    /// `fs.write`.
    FsWrite,
    /// `fs.list`.
    FsList,
    /// `fs.delete`.
    FsDelete,
    /// `data.create_task`.
    DataCreateTask,
    /// `data.get_task`.
    DataGetTask,
    /// `data.list_tasks`.
    DataListTasks,
    /// `data.update_task`.
    DataUpdateTask,
    /// `log`.
    Log,
    /// `config`.
    Config,
    /// `tools.call`: a code run calls an installed extension's action
    /// (see [`crate::ToolGateway`]); refused to every other call.
    ToolsCall,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 15] = [
        Capability::HttpFetch,
        Capability::VaultGet,
        Capability::VaultSet,
        Capability::EventsEmit,
        Capability::FsRead,
        Capability::FsWrite,
        Capability::FsList,
        Capability::FsDelete,
        Capability::DataCreateTask,
        Capability::DataGetTask,
        Capability::DataListTasks,
        Capability::DataUpdateTask,
        Capability::Log,
        Capability::Config,
        Capability::ToolsCall,
    ];

    /// The wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            Capability::HttpFetch => "http.fetch",
            Capability::VaultGet => "vault.get",
            Capability::VaultSet => "vault.set",
            Capability::EventsEmit => "events.emit",
            Capability::FsRead => "fs.read",
            Capability::FsWrite => "fs.write",
            Capability::FsList => "fs.list",
            Capability::FsDelete => "fs.delete",
            Capability::DataCreateTask => "data.create_task",
            Capability::DataGetTask => "data.get_task",
            Capability::DataListTasks => "data.list_tasks",
            Capability::DataUpdateTask => "data.update_task",
            Capability::Log => "log",
            Capability::Config => "config",
            Capability::ToolsCall => "tools.call",
        }
    }

    /// Looks a wire name up.
    pub fn from_wire(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.wire_name() == name)
    }

    /// The permission this capability needs, when it does not depend on the
    /// request (`http.fetch` depends on the method; `log` and `config` need none).
    pub fn fixed_permission(self) -> Option<Permission> {
        match self {
            Capability::HttpFetch
            | Capability::Log
            | Capability::Config
            | Capability::ToolsCall => None,
            Capability::VaultGet => Some(Permission::VaultRead),
            Capability::VaultSet => Some(Permission::VaultWrite),
            Capability::EventsEmit => Some(Permission::EventEmit),
            Capability::FsRead | Capability::FsList => Some(Permission::FsRead),
            Capability::FsWrite | Capability::FsDelete => Some(Permission::FsWrite),
            Capability::DataGetTask | Capability::DataListTasks => Some(Permission::DataRead),
            Capability::DataCreateTask | Capability::DataUpdateTask => Some(Permission::DataWrite),
        }
    }
}

impl Capability {
    /// Whether the capability changes something outside the guest (a
    /// request leaves, a file, vault entry or task is written, an event is
    /// sent): the broker writes its audit intent, durably, before it runs.
    pub fn has_effect(self) -> bool {
        match self {
            Capability::HttpFetch
            | Capability::VaultSet
            | Capability::EventsEmit
            | Capability::FsWrite
            | Capability::FsDelete
            | Capability::DataCreateTask
            | Capability::DataUpdateTask => true,
            Capability::VaultGet
            | Capability::FsRead
            | Capability::FsList
            | Capability::DataGetTask
            | Capability::DataListTasks
            | Capability::Log
            | Capability::Config
            | Capability::ToolsCall => false,
        }
    }
}

/// The permission an HTTP method needs: `http:read` for GET and HEAD,
/// `http:write` for everything else (brief section 4).
pub fn http_permission(method: &str) -> Permission {
    if ["GET", "HEAD"].contains(&method) {
        Permission::HttpRead
    } else {
        Permission::HttpWrite
    }
}
