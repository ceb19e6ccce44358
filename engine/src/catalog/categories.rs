//! Categories of the 2022 government procurement catalog, in their hierarchy. Each keeps its chain of
//! ancestors so limits set on a parent category apply to its children.

use serde::{Deserialize, Serialize};

use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, CategoryCode};

/// Depth of the catalog: the letter and four two-digit levels.
const MAX_DEPTH: usize = 5;

/// A category and its ancestors, the category itself first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryChain {
    codes: [CategoryCode; MAX_DEPTH],
    len: u8,
}

impl CategoryChain {
    /// The category itself and its ancestors, nearest first.
    pub fn codes(&self) -> &[CategoryCode] {
        &self.codes[..usize::from(self.len)]
    }

    /// The category itself.
    pub fn category(&self) -> CategoryCode {
        self.codes[0]
    }
}

/// A catalog category (品目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Code, such as `A02010105`.
    pub code: CategoryCode,
    /// Official name, such as 台式计算机.
    pub name: String,
    /// The category above, none for `A`, `B` and `C`.
    pub parent: Option<CategoryCode>,
    /// Itself and its ancestors.
    pub chain: CategoryChain,
}

impl State {
    pub(crate) fn define_category(
        &mut self,
        actor: Actor,
        code: CategoryCode,
        name: String,
        parent: Option<CategoryCode>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        if !super::text_ok(&name) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        if self.categories.contains_key(&code) {
            return Err(Reason::AlreadyExists { what: Entity::Category });
        }
        let chain = match parent {
            None => CategoryChain { codes: [code; MAX_DEPTH], len: 1 },
            Some(parent_code) => {
                let parent = self
                    .categories
                    .get(&parent_code)
                    .ok_or(Reason::NotFound { what: Entity::Category })?;
                let above = parent.chain.codes();
                if above.len() >= MAX_DEPTH || parent_code.kind() != code.kind() {
                    return Err(Reason::Invalid { field: Field::Parent });
                }
                let mut codes = [code; MAX_DEPTH];
                codes[1..=above.len()].copy_from_slice(above);
                CategoryChain { codes, len: parent.chain.len + 1 }
            }
        };
        self.categories.insert(code, Category { code, name: name.clone(), parent, chain });
        ctx.emit(Event::CategoryDefined { code, name, parent });
        Ok(())
    }
}
