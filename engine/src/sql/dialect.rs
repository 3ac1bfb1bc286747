//! Our SQL dialect: SQLite's as `sqlparser` knows it, plus the operators it rejects
//! (`NOT GLOB`, `NOT REGEXP`, `NOT MATCH`). It reports itself as `SQLiteDialect` so that the
//! parser's SQLite-specific paths apply.

use std::any::TypeId;

use sqlparser::ast::{BinaryOperator, DataType, Expr, Statement, UnaryOperator};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, Precedence, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// The deepest chain of operators one expression may hold, as in SQLite
/// (`SQLITE_MAX_EXPR_DEPTH`). `sqlparser` bounds its own recursion (nested parentheses,
/// subqueries, prefix operators) but builds a chain of left-associative operators such as
/// `1+1+1+...` in a loop, into a tree as deep as the chain is long; binding, evaluating and
/// dropping that tree recurse, and a long enough chain would overflow the stack.
pub const MAX_EXPR_DEPTH: usize = 1000;

/// How many operators deep `e` is along its left operands, counting at most one past `cap`.
fn left_depth(mut e: &Expr, cap: usize) -> usize {
    let mut depth = 0;
    while depth <= cap {
        depth += 1;
        e = match e {
            Expr::BinaryOp { left, .. }
            | Expr::IsDistinctFrom(left, _)
            | Expr::IsNotDistinctFrom(left, _) => left,
            Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotUnknown(x)
            | Expr::Nested(x)
            | Expr::UnaryOp { expr: x, .. }
            | Expr::In { expr: x, .. }
            | Expr::Between { expr: x, .. }
            | Expr::Like { expr: x, .. }
            | Expr::ILike { expr: x, .. }
            | Expr::SimilarTo { expr: x, .. }
            | Expr::RLike { expr: x, .. }
            | Expr::Collate { expr: x, .. }
            | Expr::Cast { expr: x, .. } => x,
            _ => break,
        };
    }
    depth
}

/// SQLite's dialect with embedlite's additions.
#[derive(Debug, Default)]
pub struct EmbedliteDialect(SQLiteDialect);

fn not_match_op(parser: &Parser) -> Option<BinaryOperator> {
    let is_not =
        matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::NOT);
    if !is_not {
        return None;
    }
    match &parser.peek_nth_token_ref(1).token {
        Token::Word(w) if w.keyword == Keyword::GLOB => Some(BinaryOperator::Glob),
        Token::Word(w) if w.keyword == Keyword::REGEXP => Some(BinaryOperator::Regexp),
        Token::Word(w) if w.keyword == Keyword::MATCH => Some(BinaryOperator::Match),
        _ => None,
    }
}

impl Dialect for EmbedliteDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<SQLiteDialect>()
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }
    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.0.identifier_quote_style(identifier)
    }
    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        self.0.ordered_bind_placeholder_style()
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        self.0.supports_filter_during_aggregation()
    }
    fn supports_start_transaction_modifier(&self) -> bool {
        self.0.supports_start_transaction_modifier()
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }
    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        self.0.parse_statement(parser)
    }
    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        self.0.parse_data_type(parser)
    }
    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if left_depth(expr, MAX_EXPR_DEPTH) > MAX_EXPR_DEPTH {
            return Some(Err(ParserError::RecursionLimitExceeded));
        }
        if let Some(op) = not_match_op(parser) {
            parser.next_token();
            parser.next_token();
            let right = match parser.parse_subexpr(precedence) {
                Ok(e) => e,
                Err(e) => return Some(Err(e)),
            };
            let inner = Expr::BinaryOp { left: Box::new(expr.clone()), op, right: Box::new(right) };
            return Some(Ok(Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: Box::new(Expr::Nested(Box::new(inner))),
            }));
        }
        self.0.parse_infix(parser, expr, precedence)
    }
    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        if not_match_op(parser).is_some() {
            return Some(Ok(self.prec_value(Precedence::Like)));
        }
        self.0.get_next_precedence(parser)
    }
    fn prec_value(&self, prec: Precedence) -> u8 {
        self.0.prec_value(prec)
    }
    fn supports_in_empty_list(&self) -> bool {
        self.0.supports_in_empty_list()
    }
    fn supports_limit_comma(&self) -> bool {
        self.0.supports_limit_comma()
    }
    fn supports_asc_desc_in_column_definition(&self) -> bool {
        self.0.supports_asc_desc_in_column_definition()
    }
    fn supports_dollar_placeholder(&self) -> bool {
        self.0.supports_dollar_placeholder()
    }
    fn supports_notnull_operator(&self) -> bool {
        self.0.supports_notnull_operator()
    }
    fn supports_is_operator(&self) -> bool {
        self.0.supports_is_operator()
    }
    fn supports_comma_separated_trim(&self) -> bool {
        self.0.supports_comma_separated_trim()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        self.0.supports_numeric_literal_underscores()
    }
    fn supports_double_eq_assignment(&self) -> bool {
        self.0.supports_double_eq_assignment()
    }
    fn supports_string_literal_column_names(&self) -> bool {
        self.0.supports_string_literal_column_names()
    }
    fn supports_cast_empty_data_type_to_unspecified(&self) -> bool {
        self.0.supports_cast_empty_data_type_to_unspecified()
    }
    fn supports_national_string_literal(&self) -> bool {
        self.0.supports_national_string_literal()
    }
    fn supports_parens_around_table_factor(&self) -> bool {
        self.0.supports_parens_around_table_factor()
    }
    fn supports_unterminated_block_comments(&self) -> bool {
        self.0.supports_unterminated_block_comments()
    }
    fn is_column_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.0.is_column_alias(kw, parser)
    }
    fn supports_over_keyword_as_column_alias(&self) -> bool {
        self.0.supports_over_keyword_as_column_alias()
    }
    fn supports_indexed_by(&self) -> bool {
        self.0.supports_indexed_by()
    }
    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.0.is_table_alias(kw, parser)
    }
    fn supports_comma_join_constraint(&self) -> bool {
        self.0.supports_comma_join_constraint()
    }
    fn supports_aggregate_order_by_with_empty_args(&self) -> bool {
        self.0.supports_aggregate_order_by_with_empty_args()
    }
    fn supports_bitwise_shift_operators(&self) -> bool {
        self.0.supports_bitwise_shift_operators()
    }
    fn supports_in_table_expression(&self) -> bool {
        self.0.supports_in_table_expression()
    }
    fn is_table_factor(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.0.is_table_factor(kw, parser)
    }
    fn between_low_bound_precedence(&self) -> u8 {
        self.0.between_low_bound_precedence()
    }
}
